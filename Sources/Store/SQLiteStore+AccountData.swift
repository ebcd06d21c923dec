import Foundation
import GRDB
import Interview

/// The rights people have over their data: correct it, read all of it, delete it.
extension SQLiteStore {
    public func updateAccount(id: String, name: String?, email: String?) throws -> Account {
        try immediate { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE id = ?", arguments: [id]) == true else {
                throw StoreError.accountNotFound(id)
            }
            if let name {
                try db.execute(sql: "UPDATE accounts SET name = ? WHERE id = ?", arguments: [name, id])
            }
            if let email {
                let normalised = email.trimmingCharacters(in: .whitespaces).lowercased()
                if try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE email = ? AND id <> ?",
                                     arguments: [normalised, id]) == true {
                    throw StoreError.emailTaken
                }
                try db.execute(sql: "UPDATE accounts SET email = ? WHERE id = ?", arguments: [normalised, id])
            }
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [id]) else {
                throw StoreError.accountNotFound(id)
            }
            return Self.account(row)
        }
    }

    public func setModelProcessing(accountID: String, enabled: Bool) throws -> Account {
        try pool.write { db in
            try db.execute(sql: "UPDATE accounts SET model_processing = ? WHERE id = ?", arguments: [enabled, accountID])
        }
        guard let account = try account(id: accountID) else { throw StoreError.accountNotFound(accountID) }
        return account
    }

    public func deleteAccount(id: String) throws -> [String]? {
        try immediate { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM accounts WHERE id = ?", arguments: [id]) == true else {
                return nil
            }
            let sessionIDs = try String.fetchAll(db, sql: "SELECT id FROM sessions WHERE account_id = ?", arguments: [id])
            // Accounting keeps every amount; nothing that points to the person stays. Reasons we generated for
            // processor events name only products; an operator's free text might name the person, so it goes.
            try db.execute(sql: """
                UPDATE ledger_entries SET account_id = NULL, session_id = NULL,
                    reason = CASE WHEN external_id IS NULL THEN 'removed with the account' ELSE reason END
                WHERE account_id = ?
                """, arguments: [id])
            try db.execute(sql: "UPDATE payment_events SET account_id = NULL WHERE account_id = ?", arguments: [id])
            // Tokens, sessions and their turns go by ON DELETE CASCADE.
            try db.execute(sql: "DELETE FROM accounts WHERE id = ?", arguments: [id])
            return sessionIDs
        }
    }

    public func deleteSession(id: String, accountID: String) throws -> SessionDeletion {
        try immediate { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT ended_at FROM sessions WHERE id = ? AND account_id = ?",
                                             arguments: [id, accountID]) else { return .notFound }
            if (row["ended_at"] as Date?) == nil { return .running }
            // The usage stays on the account's ledger (the balance must not change); only the link goes.
            try db.execute(sql: "UPDATE ledger_entries SET session_id = NULL WHERE session_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM sessions WHERE id = ? AND account_id = ?", arguments: [id, accountID])
            return .deleted
        }
    }

    public func exportData(accountID: String) throws -> AccountExport? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [accountID]) else {
                return nil
            }
            let sessionIDs = try String.fetchAll(db, sql: """
                SELECT id FROM sessions WHERE account_id = ? ORDER BY started_at DESC, id
                """, arguments: [accountID])
            let sessions = try sessionIDs.compactMap { try Self.session(db, id: $0, accountID: accountID) }
            let tokens = try Row.fetchAll(db, sql: """
                SELECT * FROM auth_tokens WHERE account_id = ? ORDER BY created_at
                """, arguments: [accountID]).map { row in
                TokenInfo(createdAt: row["created_at"], lastUsedAt: row["last_used_at"] ?? row["created_at"],
                          expiresAt: row["expires_at"], idleExpiresAt: row["idle_expires_at"] ?? row["expires_at"])
            }
            let payments = try Row.fetchAll(db, sql: """
                SELECT * FROM payment_events WHERE account_id = ? ORDER BY received_at, event_id
                """, arguments: [accountID]).map(Self.paymentReceipt)
            return AccountExport(account: Self.account(row), ledger: try Self.ledger(db, accountID: accountID),
                                 payments: payments, sessions: sessions, tokens: tokens)
        }
    }
}
