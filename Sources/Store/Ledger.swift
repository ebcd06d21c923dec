import Foundation
import GRDB
import Security

/// Ledger arithmetic inside a write transaction: append an entry and move the cached balance with it.
enum Ledger {
    /// Appends an entry; refuses any that would take the balance below zero. Returns the new balance.
    @discardableResult
    static func append(_ db: Database, accountID: String, kind: LedgerEntry.Kind, amountMs: Int64, reason: String,
                       sessionID: String? = nil, at now: Date) throws -> Int64 {
        guard let balance = try Int64.fetchOne(db, sql: "SELECT balance_ms FROM accounts WHERE id = ?", arguments: [accountID]) else {
            throw StoreError.accountNotFound(accountID)
        }
        let (newBalance, overflow) = balance.addingReportingOverflow(amountMs)
        guard !overflow else { throw StoreError.invalidAmount("the amount is too large") }
        guard newBalance >= 0 else {
            throw StoreError.invalidAmount("the balance would fall below zero (balance \(balance) ms, change \(amountMs) ms)")
        }
        try db.execute(sql: """
            INSERT INTO ledger_entries (entry_id, account_id, kind, amount_ms, reason, session_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [SecureRandom.identifier(), accountID, kind.rawValue, amountMs, reason, sessionID, now])
        try db.execute(sql: "UPDATE accounts SET balance_ms = ? WHERE id = ?", arguments: [newBalance, accountID])
        return newBalance
    }

    /// Charges usage, capped at the balance so it never goes negative. Returns the new balance, or nil when the
    /// account no longer exists.
    static func chargeIfAccountExists(_ db: Database, _ charge: UsageCharge, at now: Date) throws -> Int64? {
        guard let balance = try Int64.fetchOne(db, sql: "SELECT balance_ms FROM accounts WHERE id = ?",
                                               arguments: [charge.accountID]) else {
            return nil
        }
        let charged = min(max(0, charge.ms), balance)
        guard charged > 0 else { return balance }
        try db.execute(sql: "UPDATE sessions SET billed_ms = billed_ms + ? WHERE id = ?", arguments: [charged, charge.sessionID])
        return try append(db, accountID: charge.accountID, kind: .usage, amountMs: -charged, reason: "interview time",
                          sessionID: charge.sessionID, at: now)
    }
}
