import GRDB

/// The schema, as named migrations. A migration is never edited after it lands: add a new one.
enum StoreMigrations {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: accounts, tokens, ledger, sessions, turns") { db in
            try db.execute(sql: """
                CREATE TABLE accounts (
                    id TEXT PRIMARY KEY,
                    name TEXT NOT NULL,
                    email TEXT NOT NULL UNIQUE,
                    password_hash TEXT NOT NULL,
                    birth_date TEXT NOT NULL,
                    balance_ms INTEGER NOT NULL CHECK (balance_ms >= 0),
                    created_at DATETIME NOT NULL
                );
                CREATE TABLE auth_tokens (
                    token_hash BLOB PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    created_at DATETIME NOT NULL,
                    expires_at DATETIME NOT NULL
                );
                CREATE INDEX auth_tokens_account ON auth_tokens(account_id);
                CREATE TABLE ledger_entries (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    entry_id TEXT NOT NULL UNIQUE,
                    account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
                    kind TEXT NOT NULL,
                    amount_ms INTEGER NOT NULL,
                    reason TEXT NOT NULL,
                    session_id TEXT,
                    created_at DATETIME NOT NULL
                );
                CREATE INDEX ledger_entries_account ON ledger_entries(account_id);
                CREATE TABLE sessions (
                    id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    track_id TEXT NOT NULL,
                    mode TEXT NOT NULL,
                    sample_rate INTEGER NOT NULL,
                    started_at DATETIME NOT NULL,
                    ended_at DATETIME,
                    end_reason TEXT,
                    summary_json TEXT,
                    billed_ms INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX sessions_account ON sessions(account_id, started_at);
                CREATE TABLE turns (
                    session_id TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                    question_id TEXT NOT NULL,
                    number INTEGER NOT NULL,
                    kind TEXT NOT NULL,
                    text TEXT NOT NULL,
                    template_id TEXT NOT NULL,
                    template_version TEXT NOT NULL,
                    main_number INTEGER NOT NULL,
                    asked_at DATETIME NOT NULL,
                    answer_text TEXT,
                    answer_started_at DATETIME,
                    answer_ended_at DATETIME,
                    answer_complete BOOLEAN,
                    audio_ms INTEGER,
                    analysis_json TEXT,
                    PRIMARY KEY (session_id, question_id)
                );
                """)
        }
        return migrator
    }
}
