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

    /// Changes the name and/or email (nil leaves it); the email is stored lower-case. Throws `emailTaken`.
    func updateAccount(id: String, name: String?, email: String?) throws -> Account
    /// Turns the engine's model processing on or off for the account's future sessions.
    func setModelProcessing(accountID: String, enabled: Bool) throws -> Account
    /// Deletes the account with its tokens, sessions and turns. Its ledger entries stay, made anonymous, because
    /// accounting needs them. Returns the ids of the deleted sessions (for their recording files); nil when there
    /// was no such account.
    func deleteAccount(id: String) throws -> [String]?
    /// Everything stored about the account, or nil when there is none.
    func exportData(accountID: String) throws -> AccountExport?

    /// Creates a bearer token for the account; only its hash is stored. It ends `lifetime` after `now` whatever
    /// happens, and earlier when it goes unused for `idleTimeout`.
    func issueToken(accountID: String, at now: Date, lifetime: TimeInterval, idleTimeout: TimeInterval) throws -> String
    /// The account a still-valid token belongs to (neither its absolute nor its idle expiry has passed). Read-only.
    func accountID(forToken token: String, at now: Date) throws -> String?
    /// Records a use of the token: its idle expiry moves to `now + idleTimeout`, never past its absolute expiry.
    /// Writes at most about once a minute per token.
    func touchToken(_ token: String, at now: Date, idleTimeout: TimeInterval) throws
    /// The sign-ins of live connections, checked again: for each, whether its token is still valid for its own
    /// account (`accountID(forToken:)`), and if so a use of it (`touchToken`). The default does both per sign-in;
    /// a store may do the whole batch in one transaction.
    func recheck(_ signIns: [SignIn], at now: Date, idleTimeout: TimeInterval) throws -> [Bool]
    /// Ends one token (logout). Returns false when it did not exist.
    @discardableResult
    func revokeToken(_ token: String) throws -> Bool
    /// Ends every token of the account ("log out everywhere"); returns how many.
    @discardableResult
    func revokeAllTokens(accountID: String) throws -> Int

    func balance(accountID: String) throws -> Int64
    /// Adds a ledger entry (grant, purchase, refund, correction) and returns the new balance; never below zero.
    func addEntry(accountID: String, kind: LedgerEntry.Kind, amountMs: Int64, reason: String, at now: Date) throws -> Int64
    func ledger(accountID: String) throws -> [LedgerEntry]
    /// Applies a signed payment event exactly once per event id (see `PaymentOutcome`).
    func applyPayment(_ event: PaymentEvent, at now: Date) throws -> PaymentOutcome
    /// An event already applied, with the SHA-256 of its body; nil when it was never applied.
    func paymentEvent(id: String) throws -> (receipt: PaymentReceipt, bodyDigest: Data)?
    /// Charges metered time of many sessions in one transaction, each capped at its account's balance.
    /// Returns the balance of every account charged.
    func settle(_ charges: [UsageCharge], at now: Date) throws -> [String: Int64]

    /// Applies records in order, in one transaction: one commit (one sync of the log) for every record the store
    /// writer gathered, instead of one each. A record that fails (its account was deleted meanwhile, say) is rolled
    /// back alone and returned with its error; the others stay. Throws, with none applied, only when the
    /// transaction itself fails.
    func apply(_ records: [AccountRecord]) throws -> [RecordFailure]
    /// Marks sessions left open by a crash as ended; returns how many.
    func closeAbandonedSessions(at now: Date) throws -> Int
    func sessions(accountID: String) throws -> [SessionListing]
    /// The session with its turns, only if `accountID` owns it.
    func session(id: String, accountID: String) throws -> SessionDetail?
    /// Whether `accountID` owns session `id`: one primary-key read, cheap enough for the service thread.
    func sessionBelongs(id: String, to accountID: String) throws -> Bool
    /// Deletes an ended session and its turns, only if `accountID` owns it. Its usage stays in the ledger.
    func deleteSession(id: String, accountID: String) throws -> SessionDeletion

    // MARK: Video recordings (the file lives beside the audio recordings; the store keeps what is in it)

    /// The session as a video upload sees it; nil when `accountID` does not own session `sessionID`.
    func videoTarget(sessionID: String, accountID: String) throws -> VideoUploadTarget?
    /// Starts the session's video record; when it exists already, the first one stays and is returned.
    func beginVideo(sessionID: String, accountID: String, mimeType: String, startedAt: Date) throws -> VideoRecording
    /// A chunk already recorded (appended, or a gap), or nil.
    func videoChunk(sessionID: String, number: Int) throws -> VideoChunk?
    /// Records chunks just appended to the end of the file, gaps included, in number order and in one transaction
    /// (each must have the video's next number); `finishedAt` closes the video. Returns the video after them.
    func appendVideoChunks(sessionID: String, _ chunks: [VideoChunk], finishedAt: Date?) throws -> VideoRecording
    /// Bytes of video the account keeps over all its sessions (the per-account storage limit counts these).
    func videoBytes(accountID: String) throws -> Int64

    /// Closes the database after the last write, at the end of a stop: SQLite folds its write-ahead log into the
    /// database file (so the folder can be copied or backed up as one file), PostgreSQL's connections end. Every
    /// later call throws. Safe to call twice.
    func close() throws
}

/// A connection's bearer token and the account it signed in.
public struct SignIn: Sendable, Equatable {
    public var token: String
    public var accountID: String

    public init(token: String, accountID: String) {
        self.token = token
        self.accountID = accountID
    }
}

extension EngineStore {
    public func recheck(_ signIns: [SignIn], at now: Date, idleTimeout: TimeInterval) throws -> [Bool] {
        try signIns.map { signIn in
            guard try accountID(forToken: signIn.token, at: now) == signIn.accountID else { return false }
            try touchToken(signIn.token, at: now, idleTimeout: idleTimeout)
            return true
        }
    }

    /// A token without a separate idle limit: it lasts its whole lifetime.
    public func issueToken(accountID: String, at now: Date, lifetime: TimeInterval) throws -> String {
        try issueToken(accountID: accountID, at: now, lifetime: lifetime, idleTimeout: lifetime)
    }

    /// Applies one record in a transaction of its own.
    public func apply(_ record: SessionRecord, accountID: String) throws {
        if let failure = try apply([AccountRecord(record, accountID: accountID)]).first { throw failure.error }
    }
}
