import Foundation

/// A sign-in token as its owner may see it: never the token or its hash.
public struct TokenInfo: Sendable, Equatable, Codable {
    public var createdAt: Date
    public var lastUsedAt: Date
    /// The absolute end: no use extends it.
    public var expiresAt: Date
    /// The end if it is not used again before then.
    public var idleExpiresAt: Date

    enum CodingKeys: String, CodingKey {
        case createdAt = "created_at", lastUsedAt = "last_used_at", expiresAt = "expires_at"
        case idleExpiresAt = "idle_expires_at"
    }
}

/// What deleting one session did.
public enum SessionDeletion: Sendable, Equatable {
    case deleted
    /// No such session for this account (another account's looks the same).
    case notFound
    /// The interview is still live; it is deleted only once it has ended.
    case running
}

/// Everything stored about one account, read in one transaction (GDPR art. 15 and 20).
public struct AccountExport: Sendable, Equatable {
    public var account: Account
    public var ledger: [LedgerEntry]
    public var payments: [PaymentReceipt]
    public var sessions: [SessionDetail]
    public var tokens: [TokenInfo]
}
