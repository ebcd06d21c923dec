import Foundation

/// A top-up or refund from the payment processor, already authenticated (signature checked) and parsed.
///
/// The store applies each `eventID` at most once, whatever order and however many times it arrives.
public struct PaymentEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Minutes bought: `amountMs` from the configured product times the quantity.
        case purchase(productID: String, amountMs: Int64)
        /// The purchase `purchaseEventID` was refunded: its minutes are taken back, as far as the balance allows.
        case refund(purchaseEventID: String)
    }

    public var eventID: String
    public var accountID: String
    public var kind: Kind
    /// SHA-256 of the raw body, to tell a true replay from a different event reusing an id.
    public var bodyDigest: Data

    public init(eventID: String, accountID: String, kind: Kind, bodyDigest: Data) {
        self.eventID = eventID
        self.accountID = accountID
        self.kind = kind
        self.bodyDigest = bodyDigest
    }
}

/// What applying an event did. Stored with the event, so a replay gets exactly the first answer.
public struct PaymentReceipt: Sendable, Equatable, Codable {
    public var eventID: String
    /// `purchase` or `refund`.
    public var kind: String
    public var productID: String?
    public var purchaseEventID: String?
    /// What the event asked for (positive for a purchase, negative for a refund).
    public var requestedMs: Int64
    /// What the ledger actually moved: a refund never takes the balance below zero, so minutes already used
    /// are not taken back.
    public var amountMs: Int64
    /// The ledger entry, absent when nothing moved (a refund of an account at zero).
    public var entryID: String?
    public var processedAt: Date

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id", kind, productID = "product", purchaseEventID = "purchase_event_id"
        case requestedMs = "requested_ms", amountMs = "amount_ms", entryID = "entry_id", processedAt = "processed_at"
    }
}

public enum PaymentOutcome: Sendable, Equatable {
    /// Applied now, for the first time.
    case applied(PaymentReceipt)
    /// Seen before with the same body: nothing changed; the first receipt.
    case replayed(PaymentReceipt)
    /// Seen before with a different body: refused, nothing changed.
    case conflictingReplay
    case accountNotFound
    /// A refund for a purchase we have not seen (yet: events may arrive out of order; the processor retries).
    case purchaseNotFound
    /// A refund for a purchase that another refund event already took back.
    case alreadyRefunded(byEventID: String)
}
