import Foundation
import Security
import Store

/// Ledger arithmetic inside a transaction, as `Ledger` does it for SQLite (entries appended, except a session's usage,
/// one entry that grows), with the account rows locked first:
/// whatever another node does to the same account waits until this transaction ends, then sees its balance.
enum PostgresLedger {
    /// Appends an entry; refuses any that would take the balance below zero. Returns the new balance.
    static func append(_ connection: PostgresConnection, accountID: String, kind: LedgerEntry.Kind, amountMs: Int64,
                       reason: String, sessionID: String? = nil, externalID: String? = nil, at now: Date) throws -> Int64 {
        try appendEntry(connection, accountID: accountID, kind: kind, amountMs: amountMs, reason: reason,
                        sessionID: sessionID, externalID: externalID, at: now).balance
    }

    /// Appends an entry and returns its id with the new balance.
    static func appendEntry(_ connection: PostgresConnection, accountID: String, kind: LedgerEntry.Kind, amountMs: Int64,
                            reason: String, sessionID: String? = nil, externalID: String? = nil,
                            at now: Date) throws -> (entryID: String, balance: Int64) {
        guard let balance = try lockedBalance(connection, accountID: accountID) else {
            throw StoreError.accountNotFound(accountID)
        }
        let (newBalance, overflow) = balance.addingReportingOverflow(amountMs)
        guard !overflow else { throw StoreError.invalidAmount("the amount is too large") }
        guard newBalance >= 0 else {
            throw StoreError.invalidAmount("the balance would fall below zero (balance \(balance) ms, change \(amountMs) ms)")
        }
        let entryID = try insertEntry(connection, accountID: accountID, kind: kind, amountMs: amountMs, reason: reason,
                                      sessionID: sessionID, externalID: externalID, at: now)
        try connection.query("UPDATE accounts SET balance_ms = $1 WHERE id = $2", [newBalance, accountID])
        return (entryID, newBalance)
    }

    /// The account's balance, its row locked until the transaction ends; nil when there is no such account.
    static func lockedBalance(_ connection: PostgresConnection, accountID: String) throws -> Int64? {
        try connection.query("SELECT balance_ms FROM accounts WHERE id = $1 FOR UPDATE", [accountID]).first?.decode("balance_ms")
    }

    /// Charges usage of many sessions, each capped at its account's balance so none goes negative; a charge whose
    /// id was settled before (a batch retried after its COMMIT was lost on the way back) is not charged again.
    /// Returns the balance of every charged account that still exists.
    static func settle(_ connection: PostgresConnection, _ charges: [UsageCharge], at now: Date) throws -> [String: Int64] {
        // Every node locks the accounts of a batch in the same (sorted) order, so two batches never deadlock.
        let accountIDs = Set(charges.map(\.accountID)).sorted()
        var balances: [String: Int64] = [:]
        for row in try connection.query("SELECT id, balance_ms FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
                                        [PostgresArray(accountIDs)]) {
            balances[try row.decode("id")] = try row.decode("balance_ms")
        }
        var changed: Set<String> = []
        for charge in charges {
            // An account deleted mid-session has nothing left to charge; it must not fail everyone else's batch.
            guard let balance = balances[charge.accountID] else { continue }
            guard try connection.command("INSERT INTO settled_charges (charge_id, settled_at) VALUES ($1, $2) ON CONFLICT DO NOTHING",
                                         [charge.chargeID, now]) == 1 else { continue }
            let charged = min(max(0, charge.ms), balance)
            guard charged > 0 else { continue }
            // A session deleted while it ran keeps its usage in the ledger, unlinked.
            let sessionExists = try connection.command("UPDATE sessions SET billed_ms = billed_ms + $1 WHERE id = $2",
                                                       [charged, charge.sessionID]) > 0
            // As in SQLite, a session's usage is one entry that grows with each settlement (created at the first).
            var grown = false
            if sessionExists {
                grown = try connection.command("""
                    UPDATE ledger_entries SET amount_ms = amount_ms - $1
                    WHERE seq = (SELECT MAX(seq) FROM ledger_entries WHERE session_id = $2 AND kind = 'usage')
                    """, [charged, charge.sessionID]) > 0
            }
            if !grown {
                _ = try insertEntry(connection, accountID: charge.accountID, kind: .usage, amountMs: -charged,
                                    reason: "interview time", sessionID: sessionExists ? charge.sessionID : nil,
                                    externalID: nil, at: now)
            }
            balances[charge.accountID] = balance - charged
            changed.insert(charge.accountID)
        }
        for accountID in changed.sorted() {
            try connection.query("UPDATE accounts SET balance_ms = $1 WHERE id = $2", [balances[accountID]!, accountID])
        }
        return balances
    }

    private static func insertEntry(_ connection: PostgresConnection, accountID: String, kind: LedgerEntry.Kind,
                                    amountMs: Int64, reason: String, sessionID: String?, externalID: String?,
                                    at now: Date) throws -> String {
        let entryID = SecureRandom.identifier()
        try connection.query("""
            INSERT INTO ledger_entries (entry_id, account_id, kind, amount_ms, reason, session_id, external_id, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [entryID, accountID, kind.rawValue, amountMs, reason, sessionID, externalID, now])
        return entryID
    }
}

/// A `text[]` parameter.
struct PostgresArray: PostgresBindable {
    var elements: [String]
    init(_ elements: [String]) { self.elements = elements }

    var postgresText: String? {
        "{" + elements.map { element in
            "\"" + element.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }.joined(separator: ",") + "}"
    }
}
