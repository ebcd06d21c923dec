import Foundation
import GRDB

/// Purchases and refunds from the payment processor, each event applied exactly once.
///
/// The event row and its ledger entry are written in the same `BEGIN IMMEDIATE` transaction, and both carry the
/// event id under a unique constraint: a replay, a concurrent duplicate or a crash between the two cannot apply an
/// event twice or leave half of it.
extension SQLiteStore {
    public func applyPayment(_ event: PaymentEvent, at now: Date) throws -> PaymentOutcome {
        try immediate { db in
            if let seen = try Row.fetchOne(db, sql: "SELECT * FROM payment_events WHERE event_id = ?",
                                           arguments: [event.eventID]) {
                let digest: Data = seen["body_sha256"]
                return digest == event.bodyDigest ? .replayed(Self.paymentReceipt(seen)) : .conflictingReplay
            }
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE id = ?", arguments: [event.accountID]) == true else {
                return .accountNotFound
            }
            switch event.kind {
            case .purchase(let productID, let amountMs):
                guard amountMs > 0 else { throw StoreError.invalidAmount("a purchase must add minutes") }
                let (entryID, _) = try Ledger.appendEntry(db, accountID: event.accountID, kind: .purchase, amountMs: amountMs,
                                                          reason: "purchase of \(productID)", externalID: event.eventID,
                                                          at: now)
                let receipt = PaymentReceipt(eventID: event.eventID, kind: "purchase", productID: productID,
                                             purchaseEventID: nil, requestedMs: amountMs, amountMs: amountMs,
                                             entryID: entryID, processedAt: now)
                try insert(db, receipt, event: event)
                return .applied(receipt)
            case .refund(let purchaseEventID):
                guard let purchase = try Row.fetchOne(db, sql: """
                    SELECT * FROM payment_events WHERE event_id = ? AND kind = 'purchase' AND account_id = ?
                    """, arguments: [purchaseEventID, event.accountID]) else {
                    return .purchaseNotFound
                }
                if let refundedBy: String = purchase["refunded_by"] { return .alreadyRefunded(byEventID: refundedBy) }
                let bought: Int64 = purchase["amount_ms"]
                let balance = try Int64.fetchOne(db, sql: "SELECT balance_ms FROM accounts WHERE id = ?",
                                                 arguments: [event.accountID]) ?? 0
                // Minutes already used cannot be taken back: the balance never goes below zero.
                let taken = min(bought, balance)
                var entryID: String?
                if taken > 0 {
                    entryID = try Ledger.appendEntry(db, accountID: event.accountID, kind: .refund, amountMs: -taken,
                                                     reason: "refund of \(purchaseEventID)", externalID: event.eventID,
                                                     at: now).entryID
                }
                let receipt = PaymentReceipt(eventID: event.eventID, kind: "refund", productID: purchase["product_id"],
                                             purchaseEventID: purchaseEventID, requestedMs: -bought, amountMs: -taken,
                                             entryID: entryID, processedAt: now)
                try insert(db, receipt, event: event)
                try db.execute(sql: "UPDATE payment_events SET refunded_by = ? WHERE event_id = ?",
                               arguments: [event.eventID, purchaseEventID])
                return .applied(receipt)
            }
        }
    }

    public func paymentEvent(id: String) throws -> (receipt: PaymentReceipt, bodyDigest: Data)? {
        try pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM payment_events WHERE event_id = ?", arguments: [id]).map {
                (Self.paymentReceipt($0), $0["body_sha256"])
            }
        }
    }

    private func insert(_ db: Database, _ receipt: PaymentReceipt, event: PaymentEvent) throws {
        try db.execute(sql: """
            INSERT INTO payment_events (event_id, body_sha256, kind, account_id, product_id, purchase_event_id,
                                        requested_ms, amount_ms, entry_id, received_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """, arguments: [receipt.eventID, event.bodyDigest, receipt.kind, event.accountID, receipt.productID,
                             receipt.purchaseEventID, receipt.requestedMs, receipt.amountMs, receipt.entryID,
                             receipt.processedAt])
    }

    static func paymentReceipt(_ row: Row) -> PaymentReceipt {
        PaymentReceipt(eventID: row["event_id"], kind: row["kind"], productID: row["product_id"],
                       purchaseEventID: row["purchase_event_id"], requestedMs: row["requested_ms"],
                       amountMs: row["amount_ms"], entryID: row["entry_id"], processedAt: row["received_at"])
    }
}
