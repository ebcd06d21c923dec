import Foundation
import Store

/// Purchases and refunds from the payment processor, each event applied exactly once across the fleet.
///
/// The transaction locks the account's row before it looks for the event, so the same event delivered to two nodes
/// at once is applied by whichever locks first and found as a replay by the other. The event row and its ledger
/// entry carry the event id under unique keys besides: a race that slips past the lock (an event for another
/// account reusing the id) fails on the key and is retried, and then sees the first.
extension PostgresStore {
    public func applyPayment(_ event: PaymentEvent, at now: Date) throws -> PaymentOutcome {
        try pool.transaction { connection in
            let balance = try PostgresLedger.lockedBalance(connection, accountID: event.accountID)
            if let seen = try connection.query("SELECT * FROM payment_events WHERE event_id = $1", [event.eventID]).first {
                let digest: Data = try seen.decode("body_sha256")
                return digest == event.bodyDigest ? .replayed(try Self.paymentReceipt(seen)) : .conflictingReplay
            }
            guard let balance else { return .accountNotFound }
            switch event.kind {
            case .purchase(let productID, let amountMs):
                guard amountMs > 0 else { throw StoreError.invalidAmount("a purchase must add minutes") }
                let (entryID, _) = try PostgresLedger.appendEntry(connection, accountID: event.accountID, kind: .purchase,
                                                                  amountMs: amountMs, reason: "purchase of \(productID)",
                                                                  externalID: event.eventID, at: now)
                let receipt = PaymentReceipt.stored(eventID: event.eventID, kind: "purchase", productID: productID,
                                             purchaseEventID: nil, requestedMs: amountMs, amountMs: amountMs,
                                             entryID: entryID, processedAt: now)
                try insert(connection, receipt, event: event)
                return .applied(receipt)
            case .refund(let purchaseEventID):
                guard let purchase = try connection.query("""
                    SELECT * FROM payment_events WHERE event_id = $1 AND kind = 'purchase' AND account_id = $2 FOR UPDATE
                    """, [purchaseEventID, event.accountID]).first else {
                    return .purchaseNotFound
                }
                if let refundedBy: String = try purchase.decode("refunded_by") { return .alreadyRefunded(byEventID: refundedBy) }
                let bought: Int64 = try purchase.decode("amount_ms")
                // Minutes already used cannot be taken back: the balance never goes below zero.
                let taken = min(bought, balance)
                var entryID: String?
                if taken > 0 {
                    entryID = try PostgresLedger.appendEntry(connection, accountID: event.accountID, kind: .refund,
                                                             amountMs: -taken, reason: "refund of \(purchaseEventID)",
                                                             externalID: event.eventID, at: now).entryID
                }
                let receipt = PaymentReceipt.stored(eventID: event.eventID, kind: "refund", productID: try purchase.decode("product_id"),
                                             purchaseEventID: purchaseEventID, requestedMs: -bought, amountMs: -taken,
                                             entryID: entryID, processedAt: now)
                try insert(connection, receipt, event: event)
                try connection.query("UPDATE payment_events SET refunded_by = $1 WHERE event_id = $2",
                                     [event.eventID, purchaseEventID])
                return .applied(receipt)
            }
        }
    }

    public func paymentEvent(id: String) throws -> (receipt: PaymentReceipt, bodyDigest: Data)? {
        try pool.read { connection in
            try connection.query("SELECT * FROM payment_events WHERE event_id = $1", [id]).first.map {
                (try Self.paymentReceipt($0), try $0.decode("body_sha256"))
            }
        }
    }

    private func insert(_ connection: PostgresConnection, _ receipt: PaymentReceipt, event: PaymentEvent) throws {
        try connection.query("""
            INSERT INTO payment_events (event_id, body_sha256, kind, account_id, product_id, purchase_event_id,
                                        requested_ms, amount_ms, entry_id, received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            """, [receipt.eventID, event.bodyDigest, receipt.kind, event.accountID, receipt.productID,
                  receipt.purchaseEventID, receipt.requestedMs, receipt.amountMs, receipt.entryID, receipt.processedAt])
    }

    static func paymentReceipt(_ row: PostgresRow) throws -> PaymentReceipt {
        PaymentReceipt.stored(eventID: try row.decode("event_id"), kind: try row.decode("kind"),
                       productID: try row.decode("product_id"), purchaseEventID: try row.decode("purchase_event_id"),
                       requestedMs: try row.decode("requested_ms"), amountMs: try row.decode("amount_ms"),
                       entryID: try row.decode("entry_id"), processedAt: try row.decode("received_at"))
    }
}
