import Foundation
import Store

/// The rights people have over their data: correct it, read all of it, delete it.
extension PostgresStore {
    public func updateAccount(id: String, name: String?, email: String?) throws -> Account {
        try pool.transaction { connection in
            guard try PostgresLedger.lockedBalance(connection, accountID: id) != nil else {
                throw StoreError.accountNotFound(id)
            }
            if let name {
                try connection.query("UPDATE accounts SET name = $1 WHERE id = $2", [name, id])
            }
            if let email {
                let normalised = email.trimmingCharacters(in: .whitespaces).lowercased()
                guard try connection.query("SELECT 1 FROM accounts WHERE email = $1 AND id <> $2", [normalised, id]).isEmpty else {
                    throw StoreError.emailTaken
                }
                try connection.query("UPDATE accounts SET email = $1 WHERE id = $2", [normalised, id])
            }
            guard let row = try connection.query("SELECT * FROM accounts WHERE id = $1", [id]).first else {
                throw StoreError.accountNotFound(id)
            }
            return try Self.account(row)
        }
    }

    public func setModelProcessing(accountID: String, enabled: Bool) throws -> Account {
        try pool.transaction { connection in
            try connection.query("UPDATE accounts SET model_processing = $1 WHERE id = $2", [enabled, accountID])
        }
        guard let account = try account(id: accountID) else { throw StoreError.accountNotFound(accountID) }
        return account
    }

    public func deleteAccount(id: String) throws -> [String]? {
        try pool.transaction { connection in
            guard try PostgresLedger.lockedBalance(connection, accountID: id) != nil else { return nil }
            let sessionIDs = try connection.query("SELECT id FROM sessions WHERE account_id = $1", [id])
                .map { try $0.decode("id", as: String.self) }
            // Accounting keeps every amount; nothing that points to the person stays. Reasons we generated for
            // processor events name only products; an operator's free text might name the person, so it goes.
            try connection.query("""
                UPDATE ledger_entries SET account_id = NULL, session_id = NULL,
                    reason = CASE WHEN external_id IS NULL THEN 'removed with the account' ELSE reason END
                WHERE account_id = $1
                """, [id])
            try connection.query("UPDATE payment_events SET account_id = NULL WHERE account_id = $1", [id])
            // Tokens, sessions and their turns go by ON DELETE CASCADE.
            try connection.query("DELETE FROM accounts WHERE id = $1", [id])
            return sessionIDs
        }
    }

    public func deleteSession(id: String, accountID: String) throws -> SessionDeletion {
        try pool.transaction { connection in
            guard let row = try connection.query("SELECT ended_at FROM sessions WHERE id = $1 AND account_id = $2 FOR UPDATE",
                                                 [id, accountID]).first else { return .notFound }
            if try (row.decode("ended_at") as Date?) == nil { return .running }
            // The usage stays on the account's ledger (the balance must not change); only the link goes.
            try connection.query("UPDATE ledger_entries SET session_id = NULL WHERE session_id = $1", [id])
            try connection.query("DELETE FROM sessions WHERE id = $1 AND account_id = $2", [id, accountID])
            return .deleted
        }
    }

    public func exportData(accountID: String) throws -> AccountExport? {
        // Everything from one snapshot.
        try pool.transaction("REPEATABLE READ READ ONLY") { connection in
            guard let row = try connection.query("SELECT * FROM accounts WHERE id = $1", [accountID]).first else {
                return nil
            }
            let sessionIDs = try connection.query("""
                SELECT id FROM sessions WHERE account_id = $1 ORDER BY started_at DESC, id COLLATE "C"
                """, [accountID]).map { try $0.decode("id", as: String.self) }
            let sessions = try sessionIDs.compactMap { try Self.session(connection, id: $0, accountID: accountID) }
            let tokens = try connection.query("SELECT * FROM auth_tokens WHERE account_id = $1 ORDER BY created_at",
                                              [accountID]).map { row in
                let created: Date = try row.decode("created_at")
                let expires: Date = try row.decode("expires_at")
                return TokenInfo.stored(createdAt: created, lastUsedAt: try row.decode("last_used_at") ?? created,
                                 expiresAt: expires, idleExpiresAt: try row.decode("idle_expires_at") ?? expires)
            }
            let payments = try connection.query("""
                SELECT * FROM payment_events WHERE account_id = $1 ORDER BY received_at, event_id COLLATE "C"
                """, [accountID]).map(Self.paymentReceipt)
            return AccountExport.stored(account: try Self.account(row), ledger: try Self.ledger(connection, accountID: accountID),
                                 payments: payments, sessions: sessions, tokens: tokens)
        }
    }
}
