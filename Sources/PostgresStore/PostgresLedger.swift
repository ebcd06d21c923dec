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
    ///
    /// A batch is a fixed number of round trips, whatever its size: the rows are locked, the amounts worked out here
    /// from the locked balances, and each table changed by one statement over arrays.
    static func settle(_ connection: PostgresConnection, _ charges: [UsageCharge], at now: Date) throws -> [String: Int64] {
        // Every node locks the accounts of a batch in the same (sorted) order, so two batches never deadlock.
        let accountIDs = Set(charges.map(\.accountID)).sorted()
        var balances: [String: Int64] = [:]
        for row in try connection.query("SELECT id, balance_ms FROM accounts WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
                                        [PostgresArray(accountIDs)]) {
            balances[try row.decode("id")] = try row.decode("balance_ms")
        }
        // An account deleted mid-session has nothing left to charge; it must not fail everyone else's batch.
        let candidates = charges.filter { balances[$0.accountID] != nil }
        guard !candidates.isEmpty else { return balances }
        let fresh = Set(try connection.query("""
            INSERT INTO settled_charges (charge_id, settled_at) SELECT unnest($1::text[]), $2
            ON CONFLICT DO NOTHING RETURNING charge_id
            """, [PostgresArray(candidates.map(\.chargeID)), now]).map { try $0.decode("charge_id", as: String.self) })
        var perSession: [String: (accountID: String, ms: Int64)] = [:]
        var order: [String] = []
        var applied: Set<String> = []
        for charge in candidates where fresh.contains(charge.chargeID) && applied.insert(charge.chargeID).inserted {
            let balance = balances[charge.accountID]!
            let charged = min(max(0, charge.ms), balance)
            guard charged > 0 else { continue }
            balances[charge.accountID] = balance - charged
            if perSession[charge.sessionID] == nil { order.append(charge.sessionID) }
            perSession[charge.sessionID, default: (charge.accountID, 0)].ms += charged
        }
        guard !order.isEmpty else { return balances }
        // A session deleted while it ran keeps its usage in the ledger, unlinked.
        let existing = Set(try connection.query("""
            UPDATE sessions SET billed_ms = billed_ms + v.ms FROM unnest($1::text[], $2::bigint[]) AS v(id, ms)
            WHERE sessions.id = v.id RETURNING sessions.id
            """, [PostgresArray(order), PostgresArray(order.map { String(perSession[$0]!.ms) })])
            .map { try $0.decode("id", as: String.self) })
        // As in SQLite, a session's usage is one entry that grows with each settlement (created at the first).
        let linked = order.filter(existing.contains)
        let grown = Set(try connection.query("""
            UPDATE ledger_entries SET amount_ms = ledger_entries.amount_ms - v.ms
            FROM unnest($1::text[], $2::bigint[]) AS v(id, ms)
            WHERE ledger_entries.seq = (SELECT MAX(seq) FROM ledger_entries l WHERE l.session_id = v.id AND l.kind = 'usage')
            RETURNING ledger_entries.session_id
            """, [PostgresArray(linked), PostgresArray(linked.map { String(perSession[$0]!.ms) })])
            .map { try $0.decode("session_id", as: String.self) })
        let newEntries = order.filter { !grown.contains($0) }
        if !newEntries.isEmpty {
            // An empty session id stands for a session deleted while it ran: the entry is not linked to it.
            try connection.query("""
                INSERT INTO ledger_entries (entry_id, account_id, kind, amount_ms, reason, session_id, created_at)
                SELECT v.entry_id, v.account_id, 'usage', -v.ms, 'interview time', NULLIF(v.session_id, ''), $5
                FROM unnest($1::text[], $2::text[], $3::bigint[], $4::text[]) AS v(entry_id, account_id, ms, session_id)
                """, [PostgresArray(newEntries.map { _ in SecureRandom.identifier() }),
                      PostgresArray(newEntries.map { perSession[$0]!.accountID }),
                      PostgresArray(newEntries.map { String(perSession[$0]!.ms) }),
                      PostgresArray(newEntries.map { existing.contains($0) ? $0 : "" }), now])
        }
        let changed = Set(order.map { perSession[$0]!.accountID }).sorted()
        try connection.query("""
            UPDATE accounts SET balance_ms = v.balance FROM unnest($1::text[], $2::bigint[]) AS v(id, balance)
            WHERE accounts.id = v.id
            """, [PostgresArray(changed), PostgresArray(changed.map { String(balances[$0]!) })])
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
