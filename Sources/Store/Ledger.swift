import Foundation
import GRDB
import Security

/// Ledger arithmetic inside a write transaction: append an entry and move the cached balance with it.
///
/// Entries are inserted, with one exception: a session's usage is one entry that grows each time the session is
/// settled (once a second while it runs), so a session is one line of the ledger rather than one per second, and
/// settlement updates a row instead of inserting one with a fresh random id. The other later change is on account
/// deletion, which detaches entries from the person (`account_id`, `session_id` and free-text reasons cleared) and
/// keeps the amounts for accounting.
enum Ledger {
    /// Appends an entry; refuses any that would take the balance below zero. Returns the new balance.
    @discardableResult
    static func append(_ db: Database, accountID: String, kind: LedgerEntry.Kind, amountMs: Int64, reason: String,
                       sessionID: String? = nil, externalID: String? = nil, at now: Date) throws -> Int64 {
        try appendEntry(db, accountID: accountID, kind: kind, amountMs: amountMs, reason: reason, sessionID: sessionID,
                        externalID: externalID, at: now).balance
    }

    /// Appends an entry and returns its id with the new balance.
    static func appendEntry(_ db: Database, accountID: String, kind: LedgerEntry.Kind, amountMs: Int64, reason: String,
                            sessionID: String? = nil, externalID: String? = nil,
                            at now: Date) throws -> (entryID: String, balance: Int64) {
        // Cached statements: settlement runs these for every live session every second.
        guard let balance = try Int64.fetchOne(db.cachedStatement(sql: "SELECT balance_ms FROM accounts WHERE id = ?"),
                                               arguments: [accountID]) else {
            throw StoreError.accountNotFound(accountID)
        }
        let (newBalance, overflow) = balance.addingReportingOverflow(amountMs)
        guard !overflow else { throw StoreError.invalidAmount("the amount is too large") }
        guard newBalance >= 0 else {
            throw StoreError.invalidAmount("the balance would fall below zero (balance \(balance) ms, change \(amountMs) ms)")
        }
        let entryID = SecureRandom.identifier()
        try db.cachedStatement(sql: """
            INSERT INTO ledger_entries (entry_id, account_id, kind, amount_ms, reason, session_id, external_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [entryID, accountID, kind.rawValue, amountMs, reason, sessionID, externalID, now.storedText])
        try db.cachedStatement(sql: "UPDATE accounts SET balance_ms = ? WHERE id = ?").execute(arguments: [newBalance, accountID])
        return (entryID, newBalance)
    }

    /// Charges usage, capped at the balance so it never goes negative, onto the session's usage entry (created at its
    /// first charge). Returns the new balance, or nil when the account no longer exists.
    static func chargeIfAccountExists(_ db: Database, _ charge: UsageCharge, at now: Date) throws -> Int64? {
        guard let balance = try Int64.fetchOne(db.cachedStatement(sql: "SELECT balance_ms FROM accounts WHERE id = ?"),
                                               arguments: [charge.accountID]) else {
            return nil
        }
        let charged = min(max(0, charge.ms), balance)
        guard charged > 0 else { return balance }
        let billed = try db.cachedStatement(sql: "UPDATE sessions SET billed_ms = billed_ms + ? WHERE id = ?")
        try billed.execute(arguments: [charged, charge.sessionID])
        // A session deleted while it ran keeps its usage in the ledger, unlinked.
        guard db.changesCount > 0 else {
            return try append(db, accountID: charge.accountID, kind: .usage, amountMs: -charged, reason: "interview time",
                              at: now)
        }
        // The newest usage entry of the session (databases from before this rule hold one per second).
        try db.cachedStatement(sql: """
            UPDATE ledger_entries SET amount_ms = amount_ms - ?
            WHERE seq = (SELECT MAX(seq) FROM ledger_entries WHERE session_id = ? AND kind = 'usage')
            """).execute(arguments: [charged, charge.sessionID])
        guard db.changesCount > 0 else {
            return try append(db, accountID: charge.accountID, kind: .usage, amountMs: -charged, reason: "interview time",
                              sessionID: charge.sessionID, at: now)
        }
        let newBalance = balance - charged
        try db.cachedStatement(sql: "UPDATE accounts SET balance_ms = ? WHERE id = ?").execute(arguments: [newBalance, charge.accountID])
        return newBalance
    }
}
