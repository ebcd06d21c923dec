import Foundation
import Interview

/// Everything the engine persists, behind one small protocol so another database can serve a fleet later.
///
/// Implementations must be safe to call from several threads; writes of one session arrive in order.
public protocol EngineStore: Sendable {
    func createAccount(_ account: NewAccount, trialMs: Int64, at now: Date) throws -> Account
    func account(id: String) throws -> Account?
    /// The account and its password hash, for login.
    func credentials(email: String) throws -> (account: Account, passwordHash: String)?
    func updatePasswordHash(accountID: String, hash: String) throws

    /// Creates a bearer token for the account; only its hash is stored.
    func issueToken(accountID: String, at now: Date, lifetime: TimeInterval) throws -> String
    /// The account a still-valid token belongs to.
    func accountID(forToken token: String, at now: Date) throws -> String?

    func balance(accountID: String) throws -> Int64
    /// Adds a ledger entry (grant, purchase, refund, correction) and returns the new balance; never below zero.
    func addEntry(accountID: String, kind: LedgerEntry.Kind, amountMs: Int64, reason: String, at now: Date) throws -> Int64
    func ledger(accountID: String) throws -> [LedgerEntry]
    /// Charges metered time of many sessions in one transaction, each capped at its account's balance.
    /// Returns the balance of every account charged.
    func settle(_ charges: [UsageCharge], at now: Date) throws -> [String: Int64]

    func apply(_ record: SessionRecord, accountID: String) throws
    /// Marks sessions left open by a crash as ended; returns how many.
    func closeAbandonedSessions(at now: Date) throws -> Int
    func sessions(accountID: String) throws -> [SessionListing]
    /// The session with its turns, only if `accountID` owns it.
    func session(id: String, accountID: String) throws -> SessionDetail?
}
