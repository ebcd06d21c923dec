import Foundation
import GRDB
import Interview
import Security

/// The embedded store: SQLite in WAL mode through GRDB, one writer, readers alongside.
///
/// Invariant: `accounts.balance_ms` always equals the sum of the account's ledger entries and is never negative;
/// both change in the same transaction.
public final class SQLiteStore: EngineStore {
    private let openPool: DatabasePool
    private let closedLock = NSLock()
    nonisolated(unsafe) private var closed = false  // behind `closedLock`

    /// The database, until `close`: GRDB does not refuse a closed pool but reaches into the freed connection, so the
    /// store refuses first.
    var pool: DatabasePool {
        get throws {
            guard !closedLock.withLock({ closed }) else { throw StoreError.closed }
            return openPool
        }
    }

    /// Opens (creating if needed) the database file and brings its schema up to date.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(5)
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA foreign_keys = ON")
            // Deleted rows (a deleted account, session or token) are overwritten, not left in free pages.
            try db.execute(sql: "PRAGMA secure_delete = ON")
        }
        openPool = try DatabasePool(path: path, configuration: configuration)
        try StoreMigrations.migrator.migrate(openPool)
    }

    /// Checkpoints the whole WAL into the database file and truncates it, then closes every connection; GRDB
    /// refuses every later access. The checkpoint is explicit because SQLite's own one at the last close does not
    /// happen here: GRDB closes the writer first, and the read-only readers that close last may not checkpoint
    /// (groue/GRDB.swift#739), so an empty `-wal` file stays behind.
    public func close() throws {
        guard closedLock.withLock({ !closed }) else { return }
        try openPool.writeWithoutTransaction { try $0.checkpoint(.truncate) }
        closedLock.withLock { closed = true }
        try openPool.close()
    }

    // MARK: Accounts

    public func createAccount(_ account: NewAccount, trialMs: Int64, at now: Date) throws -> Account {
        let id = SecureRandom.identifier()
        // Emails are compared and stored lower-case, whoever calls, so an account can always sign in.
        var account = account
        account.email = account.email.trimmingCharacters(in: .whitespaces).lowercased()
        try immediate { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE email = ?", arguments: [account.email]) == true {
                throw StoreError.emailTaken
            }
            try db.execute(sql: """
                INSERT INTO accounts (id, name, email, password_hash, birth_date, balance_ms, created_at)
                VALUES (?, ?, ?, ?, ?, 0, ?)
                """, arguments: [id, account.name, account.email, account.passwordHash, account.birthDate, now])
            if trialMs > 0 {
                _ = try Ledger.append(db, accountID: id, kind: .trial, amountMs: trialMs, reason: "trial minutes", at: now)
            }
        }
        guard let created = try self.account(id: id) else { throw StoreError.accountNotFound(id) }
        return created
    }

    public func account(id: String) throws -> Account? {
        try pool.read { db in try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]).map(Self.account) }
    }

    public func credentials(email: String) throws -> (account: Account, passwordHash: String)? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE email = ?",
                                             arguments: [email.trimmingCharacters(in: .whitespaces).lowercased()]) else { return nil }
            return (Self.account(row), row["password_hash"])
        }
    }

    public func updatePasswordHash(accountID: String, hash: String) throws {
        try pool.write { db in
            try db.execute(sql: "UPDATE accounts SET password_hash = ? WHERE id = ?", arguments: [hash, accountID])
        }
    }

    static func account(_ row: Row) -> Account {
        Account(id: row["id"], name: row["name"], email: row["email"], birthDate: row["birth_date"],
                balanceMs: row["balance_ms"], createdAt: row["created_at"],
                modelProcessing: row["model_processing"] ?? true)
    }

    // MARK: Tokens

    public func issueToken(accountID: String, at now: Date, lifetime: TimeInterval, idleTimeout: TimeInterval) throws -> String {
        let token = SecureRandom.token()
        let expires = now.addingTimeInterval(lifetime)
        try pool.write { db in
            // Expired tokens are of no use to anyone: they go when their account signs in again.
            try db.execute(sql: "DELETE FROM auth_tokens WHERE account_id = ? AND (expires_at <= ? OR idle_expires_at <= ?)",
                           arguments: [accountID, now, now])
            try db.execute(sql: """
                INSERT INTO auth_tokens (token_hash, account_id, created_at, expires_at, last_used_at, idle_expires_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [Self.tokenHash(token), accountID, now, expires, now,
                                 min(expires, now.addingTimeInterval(idleTimeout))])
        }
        return token
    }

    /// The account of a still-valid token; arguments: `tokenArguments(_:at:)`.
    private static let validTokenSQL =
        "SELECT account_id FROM auth_tokens WHERE token_hash = ? AND expires_at > ? AND idle_expires_at > ?"
    /// A use of a still-valid token; arguments: `touchArguments(_:at:idleTimeout:)`. Writing on every request would
    /// serialise all readers behind the one writer; a refresh at most once a minute (or a tenth of a short idle
    /// timeout) keeps the idle expiry within that of exact.
    private static let touchSQL = """
        UPDATE auth_tokens SET last_used_at = ?, idle_expires_at = MIN(expires_at, ?)
        WHERE token_hash = ? AND expires_at > ? AND idle_expires_at > ? AND last_used_at <= ?
        """

    private static func tokenArguments(_ hash: Data, at now: Date) -> StatementArguments {
        [hash, now.storedText, now.storedText]
    }

    private static func touchArguments(_ hash: Data, at now: Date, idleTimeout: TimeInterval) -> StatementArguments {
        let refreshAfter = min(60, idleTimeout / 10)
        return [now.storedText, now.addingTimeInterval(idleTimeout).storedText, hash, now.storedText, now.storedText,
                now.addingTimeInterval(-refreshAfter).storedText]
    }

    public func accountID(forToken token: String, at now: Date) throws -> String? {
        try pool.read { db in
            try String.fetchOne(db.cachedStatement(sql: Self.validTokenSQL),
                                arguments: Self.tokenArguments(Self.tokenHash(token), at: now))
        }
    }

    public func touchToken(_ token: String, at now: Date, idleTimeout: TimeInterval) throws {
        try pool.write { db in
            try db.cachedStatement(sql: Self.touchSQL)
                .execute(arguments: Self.touchArguments(Self.tokenHash(token), at: now, idleTimeout: idleTimeout))
        }
    }

    /// One write transaction for the whole batch: the engine rechecks every live connection's sign-in every 30 s,
    /// and a transaction (with its commit) per token queued thousands of them behind the session records at once.
    public func recheck(_ signIns: [SignIn], at now: Date, idleTimeout: TimeInterval) throws -> [Bool] {
        guard !signIns.isEmpty else { return [] }
        return try pool.write { db in
            let lookup = try db.cachedStatement(sql: Self.validTokenSQL)
            let touch = try db.cachedStatement(sql: Self.touchSQL)
            return try signIns.map { signIn in
                let hash = Self.tokenHash(signIn.token)
                let accountID = try String.fetchOne(lookup, arguments: Self.tokenArguments(hash, at: now))
                guard accountID == signIn.accountID else { return false }
                try touch.execute(arguments: Self.touchArguments(hash, at: now, idleTimeout: idleTimeout))
                return true
            }
        }
    }

    public func revokeToken(_ token: String) throws -> Bool {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM auth_tokens WHERE token_hash = ?", arguments: [Self.tokenHash(token)])
            return db.changesCount > 0
        }
    }

    public func revokeAllTokens(accountID: String) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "DELETE FROM auth_tokens WHERE account_id = ?", arguments: [accountID])
            return db.changesCount
        }
    }

    /// Tokens are stored only as SHA-256: a leaked database does not hand out sessions.
    static func tokenHash(_ token: String) -> Data { Digest.sha256(Data(token.utf8)) }

    // MARK: Ledger

    public func balance(accountID: String) throws -> Int64 {
        try pool.read { db in
            guard let balance = try Int64.fetchOne(db, sql: "SELECT balance_ms FROM accounts WHERE id = ?", arguments: [accountID]) else {
                throw StoreError.accountNotFound(accountID)
            }
            return balance
        }
    }

    public func addEntry(accountID: String, kind: LedgerEntry.Kind, amountMs: Int64, reason: String, at now: Date) throws -> Int64 {
        try immediate { db in
            try Ledger.append(db, accountID: accountID, kind: kind, amountMs: amountMs, reason: reason, at: now)
        }
    }

    public func ledger(accountID: String) throws -> [LedgerEntry] {
        try pool.read { db in
            try Self.ledger(db, accountID: accountID)
        }
    }

    static func ledger(_ db: Database, accountID: String) throws -> [LedgerEntry] {
        try Row.fetchAll(db, sql: "SELECT * FROM ledger_entries WHERE account_id = ? ORDER BY seq", arguments: [accountID]).map { row in
            LedgerEntry(entryID: row["entry_id"], kind: LedgerEntry.Kind(rawValue: row["kind"]) ?? .correction,
                        amountMs: row["amount_ms"], reason: row["reason"], sessionID: row["session_id"],
                        externalID: row["external_id"], createdAt: row["created_at"])
        }
    }

    public func settle(_ charges: [UsageCharge], at now: Date) throws -> [String: Int64] {
        guard !charges.isEmpty else { return [:] }
        return try immediate { db in
            var balances: [String: Int64] = [:]
            for charge in charges {
                // An account deleted mid-session has nothing left to charge; it must not fail everyone else's batch.
                guard let balance = try Ledger.chargeIfAccountExists(db, charge, at: now) else { continue }
                balances[charge.accountID] = balance
            }
            return balances
        }
    }

    // MARK: Sessions

    public func apply(_ records: [AccountRecord]) throws -> [RecordFailure] {
        try pool.write { db in
            var failures: [RecordFailure] = []
            for (index, entry) in records.enumerated() {
                do {
                    try db.inSavepoint {
                        try SessionWriter.apply(entry.record, accountID: entry.accountID, db: db)
                        return .commit
                    }
                } catch {
                    failures.append(RecordFailure(index: index, error: error))
                }
            }
            return failures
        }
    }

    public func closeAbandonedSessions(at now: Date) throws -> Int {
        try pool.write { db in
            try db.execute(sql: "UPDATE sessions SET ended_at = ?, end_reason = ? WHERE ended_at IS NULL",
                           arguments: [now, SessionEndReason.error.rawValue])
            return db.changesCount
        }
    }

    public func sessions(accountID: String) throws -> [SessionListing] {
        try pool.read { db in
            try Row.fetchAll(db, sql: """
                SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS questions_asked
                FROM sessions s WHERE s.account_id = ? ORDER BY s.started_at DESC, s.id
                """, arguments: [accountID]).map(SessionWriter.listing)
        }
    }

    public func sessionBelongs(id: String, to accountID: String) throws -> Bool {
        try pool.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM sessions WHERE id = ? AND account_id = ?", arguments: [id, accountID]) ?? false
        }
    }

    public func session(id: String, accountID: String) throws -> SessionDetail? {
        try pool.read { db in try Self.session(db, id: id, accountID: accountID) }
    }

    static func session(_ db: Database, id: String, accountID: String) throws -> SessionDetail? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS questions_asked
            FROM sessions s WHERE s.id = ? AND s.account_id = ?
            """, arguments: [id, accountID]) else { return nil }
        let turns = try Row.fetchAll(db, sql: "SELECT * FROM turns WHERE session_id = ? ORDER BY number",
                                     arguments: [id]).map(SessionWriter.turn)
        let summary = (row["summary_json"] as String?).flatMap { try? JSONDecoder().decode(SessionSummary.self, from: Data($0.utf8)) }
        let report = (row["report_json"] as String?).flatMap { try? JSONDecoder().decode(SessionReport.self, from: Data($0.utf8)) }
        return SessionDetail(session: SessionWriter.listing(row), summary: summary, report: report, turns: turns)
    }

    /// Read-then-write work under `BEGIN IMMEDIATE`, so two writers never both read a stale balance.
    func immediate<T>(_ work: (Database) throws -> T) throws -> T {
        try pool.writeWithoutTransaction { db in
            var result: T?
            try db.inTransaction(.immediate) {
                result = try work(db)
                return .commit
            }
            return result!
        }
    }
}
