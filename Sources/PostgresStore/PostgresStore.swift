import Foundation
import Interview
import Security
import Store

/// The shared store of a fleet: PostgreSQL through libpq. Every engine node of the fleet opens the same database.
///
/// Invariants, held by the database rather than by any node: `accounts.balance_ms` equals the sum of the account's
/// ledger entries and is never negative (`CHECK`); every change to it runs in a transaction that first locks the
/// account's row (`SELECT … FOR UPDATE`), so two nodes charging one account take turns and the second sees the
/// first's balance. Each payment event and each settled charge is applied once (unique keys on their ids).
public final class PostgresStore: EngineStore, @unchecked Sendable {
    let pool: PostgresConnectionPool
    /// Names this engine node on the sessions it starts, so it closes only its own after a crash.
    public let nodeID: String

    /// Connects to `url` and brings its schema up to date. `connections`: how many the pool may open.
    public init(url: String, nodeID: String, connections: Int = 8) throws {
        pool = PostgresConnectionPool(url: url, size: connections)
        self.nodeID = nodeID
        try PostgresMigrations.migrate(pool)
    }

    public func close() throws {
        pool.close()
    }

    /// Whether the database answers: one round trip.
    public func ping() throws {
        try pool.read { connection in _ = try connection.query("SELECT 1") }
    }

    // MARK: Accounts

    public func createAccount(_ account: NewAccount, trialMs: Int64, at now: Date) throws -> Account {
        let id = SecureRandom.identifier()
        let email = account.email.trimmingCharacters(in: .whitespaces).lowercased()
        try pool.transaction { connection in
            // A concurrent signup with the same email loses on the unique key; the retried transaction sees it here.
            guard try connection.query("SELECT 1 FROM accounts WHERE email = $1", [email]).isEmpty else {
                throw StoreError.emailTaken
            }
            try connection.query("""
                INSERT INTO accounts (id, name, email, password_hash, birth_date, balance_ms, created_at)
                VALUES ($1, $2, $3, $4, $5, 0, $6)
                """, [id, account.name, email, account.passwordHash, account.birthDate, now])
            if trialMs > 0 {
                _ = try PostgresLedger.append(connection, accountID: id, kind: .trial, amountMs: trialMs,
                                              reason: "trial minutes", at: now)
            }
        }
        guard let created = try self.account(id: id) else { throw StoreError.accountNotFound(id) }
        return created
    }

    public func account(id: String) throws -> Account? {
        try pool.read { connection in
            try connection.query("SELECT * FROM accounts WHERE id = $1", [id]).first.map(Self.account)
        }
    }

    public func credentials(email: String) throws -> (account: Account, passwordHash: String)? {
        try pool.read { connection in
            guard let row = try connection.query("SELECT * FROM accounts WHERE email = $1",
                                                 [email.trimmingCharacters(in: .whitespaces).lowercased()]).first else {
                return nil
            }
            return (try Self.account(row), try row.decode("password_hash"))
        }
    }

    public func updatePasswordHash(accountID: String, hash: String) throws {
        try pool.transaction { connection in
            try connection.query("UPDATE accounts SET password_hash = $1 WHERE id = $2", [hash, accountID])
        }
    }

    static func account(_ row: PostgresRow) throws -> Account {
        Account.stored(id: try row.decode("id"), name: try row.decode("name"), email: try row.decode("email"),
                birthDate: try row.decode("birth_date"), balanceMs: try row.decode("balance_ms"),
                createdAt: try row.decode("created_at"), modelProcessing: try row.decode("model_processing") ?? true)
    }

    // MARK: Tokens

    public func issueToken(accountID: String, at now: Date, lifetime: TimeInterval, idleTimeout: TimeInterval) throws -> String {
        let token = SecureRandom.token()
        let expires = now.addingTimeInterval(lifetime)
        try pool.transaction { connection in
            // Expired tokens are of no use to anyone: they go when their account signs in again.
            try connection.query("DELETE FROM auth_tokens WHERE account_id = $1 AND (expires_at <= $2 OR idle_expires_at <= $2)",
                                 [accountID, now])
            try connection.query("""
                INSERT INTO auth_tokens (token_hash, account_id, created_at, expires_at, last_used_at, idle_expires_at)
                VALUES ($1, $2, $3, $4, $3, $5)
                """, [Self.tokenHash(token), accountID, now, expires, min(expires, now.addingTimeInterval(idleTimeout))])
        }
        return token
    }

    public func accountID(forToken token: String, at now: Date) throws -> String? {
        try pool.read { connection in
            try connection.query("""
                SELECT account_id FROM auth_tokens WHERE token_hash = $1 AND expires_at > $2 AND idle_expires_at > $2
                """, [Self.tokenHash(token), now]).first?.decode("account_id")
        }
    }

    public func touchToken(_ token: String, at now: Date, idleTimeout: TimeInterval) throws {
        // As in SQLite: a refresh at most once a minute (or a tenth of a short idle timeout), not on every request.
        let refreshAfter = min(60, idleTimeout / 10)
        try pool.transaction { connection in
            try connection.query("""
                UPDATE auth_tokens SET last_used_at = $1, idle_expires_at = LEAST(expires_at, $2)
                WHERE token_hash = $3 AND expires_at > $1 AND idle_expires_at > $1 AND last_used_at <= $4
                """, [now, now.addingTimeInterval(idleTimeout), Self.tokenHash(token), now.addingTimeInterval(-refreshAfter)])
        }
    }

    public func revokeToken(_ token: String) throws -> Bool {
        try pool.transaction { connection in
            try connection.command("DELETE FROM auth_tokens WHERE token_hash = $1", [Self.tokenHash(token)]) > 0
        }
    }

    public func revokeAllTokens(accountID: String) throws -> Int {
        try pool.transaction { connection in
            try connection.command("DELETE FROM auth_tokens WHERE account_id = $1", [accountID])
        }
    }

    /// Tokens are stored only as SHA-256: a leaked database does not hand out sessions.
    static func tokenHash(_ token: String) -> Data { Digest.sha256(Data(token.utf8)) }

    // MARK: Ledger

    public func balance(accountID: String) throws -> Int64 {
        try pool.read { connection in
            guard let row = try connection.query("SELECT balance_ms FROM accounts WHERE id = $1", [accountID]).first else {
                throw StoreError.accountNotFound(accountID)
            }
            return try row.decode("balance_ms")
        }
    }

    public func addEntry(accountID: String, kind: LedgerEntry.Kind, amountMs: Int64, reason: String, at now: Date) throws -> Int64 {
        try pool.transaction { connection in
            try PostgresLedger.append(connection, accountID: accountID, kind: kind, amountMs: amountMs, reason: reason, at: now)
        }
    }

    public func ledger(accountID: String) throws -> [LedgerEntry] {
        try pool.read { connection in try Self.ledger(connection, accountID: accountID) }
    }

    static func ledger(_ connection: PostgresConnection, accountID: String) throws -> [LedgerEntry] {
        try connection.query("SELECT * FROM ledger_entries WHERE account_id = $1 ORDER BY seq", [accountID]).map { row in
            LedgerEntry.stored(entryID: try row.decode("entry_id"),
                        kind: LedgerEntry.Kind(rawValue: try row.decode("kind")) ?? .correction,
                        amountMs: try row.decode("amount_ms"), reason: try row.decode("reason"),
                        sessionID: try row.decode("session_id"), externalID: try row.decode("external_id"),
                        createdAt: try row.decode("created_at"))
        }
    }

    public func settle(_ charges: [UsageCharge], at now: Date) throws -> [String: Int64] {
        guard !charges.isEmpty else { return [:] }
        return try pool.transaction { connection in
            try PostgresLedger.settle(connection, charges, at: now)
        }
    }

    // MARK: Sessions

    public func apply(_ records: [AccountRecord]) throws -> [RecordFailure] {
        try pool.transaction { connection in
            var failures: [RecordFailure] = []
            for (index, entry) in records.enumerated() {
                // A failed statement spoils the whole transaction; a savepoint confines it to its record.
                try connection.execute("SAVEPOINT record")
                do {
                    try PostgresSessionWriter.apply(entry.record, accountID: entry.accountID, nodeID: nodeID,
                                                    connection: connection)
                    try connection.execute("RELEASE SAVEPOINT record")
                } catch let error as PostgresError where !connection.isBroken && !error.losesTheWholeTransaction {
                    try connection.execute("ROLLBACK TO SAVEPOINT record")
                    failures.append(RecordFailure(index: index, error: error))
                }
            }
            return failures
        }
    }

    /// Closes the sessions *this node* left open: the others' may be live on their nodes.
    public func closeAbandonedSessions(at now: Date) throws -> Int {
        try pool.transaction { connection in
            try connection.command("UPDATE sessions SET ended_at = $1, end_reason = $2 WHERE ended_at IS NULL AND node_id = $3",
                                   [now, SessionEndReason.error.rawValue, nodeID])
        }
    }

    public func sessions(accountID: String) throws -> [SessionListing] {
        try pool.read { connection in
            try connection.query("""
                SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS questions_asked
                FROM sessions s WHERE s.account_id = $1 ORDER BY s.started_at DESC, s.id COLLATE "C"
                """, [accountID]).map(PostgresSessionWriter.listing)
        }
    }

    public func sessionBelongs(id: String, to accountID: String) throws -> Bool {
        try pool.read { connection in
            try !connection.query("SELECT 1 FROM sessions WHERE id = $1 AND account_id = $2", [id, accountID]).isEmpty
        }
    }

    public func session(id: String, accountID: String) throws -> SessionDetail? {
        // Session and turns from one snapshot.
        try pool.transaction("REPEATABLE READ READ ONLY") { connection in
            try Self.session(connection, id: id, accountID: accountID)
        }
    }

    static func session(_ connection: PostgresConnection, id: String, accountID: String) throws -> SessionDetail? {
        guard let row = try connection.query("""
            SELECT s.*, (SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS questions_asked
            FROM sessions s WHERE s.id = $1 AND s.account_id = $2
            """, [id, accountID]).first else { return nil }
        let turns = try connection.query("SELECT * FROM turns WHERE session_id = $1 ORDER BY number", [id])
            .map(PostgresSessionWriter.turn)
        let summary = try (row.decode("summary_json") as String?).flatMap {
            try? JSONDecoder().decode(SessionSummary.self, from: Data($0.utf8))
        }
        let report = try (row.decode("report_json") as String?).flatMap {
            try? JSONDecoder().decode(SessionReport.self, from: Data($0.utf8))
        }
        return SessionDetail.stored(session: try PostgresSessionWriter.listing(row), summary: summary, report: report, turns: turns)
    }
}
