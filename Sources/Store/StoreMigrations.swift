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
        migrator.registerMigration("v2: token idle expiry, payment events, ledger external ids") { db in
            try db.execute(sql: """
                ALTER TABLE auth_tokens ADD COLUMN last_used_at DATETIME;
                ALTER TABLE auth_tokens ADD COLUMN idle_expires_at DATETIME;
                UPDATE auth_tokens SET last_used_at = created_at, idle_expires_at = expires_at;
                ALTER TABLE ledger_entries ADD COLUMN external_id TEXT;
                CREATE UNIQUE INDEX ledger_entries_external_id ON ledger_entries(external_id) WHERE external_id IS NOT NULL;
                CREATE INDEX ledger_entries_session ON ledger_entries(session_id);
                CREATE TABLE payment_events (
                    event_id TEXT PRIMARY KEY,
                    body_sha256 BLOB NOT NULL,
                    kind TEXT NOT NULL,
                    account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
                    product_id TEXT,
                    purchase_event_id TEXT,
                    requested_ms INTEGER NOT NULL,
                    amount_ms INTEGER NOT NULL,
                    entry_id TEXT,
                    refunded_by TEXT,
                    received_at DATETIME NOT NULL
                );
                CREATE INDEX payment_events_account ON payment_events(account_id);
                """)
        }
        migrator.registerMigration("v3: answer scores and session reports") { db in
            try db.execute(sql: """
                ALTER TABLE turns ADD COLUMN score_json TEXT;
                ALTER TABLE sessions ADD COLUMN report_json TEXT;
                """)
        }
        migrator.registerMigration("v4: session videos and their chunks") { db in
            try db.execute(sql: """
                CREATE TABLE session_videos (
                    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
                    account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                    mime_type TEXT NOT NULL,
                    started_at DATETIME NOT NULL,
                    byte_count INTEGER NOT NULL DEFAULT 0,
                    next_chunk INTEGER NOT NULL DEFAULT 0,
                    finished_at DATETIME
                );
                CREATE INDEX session_videos_account ON session_videos(account_id);
                CREATE TABLE video_chunks (
                    session_id TEXT NOT NULL REFERENCES session_videos(session_id) ON DELETE CASCADE,
                    number INTEGER NOT NULL,
                    byte_offset INTEGER NOT NULL,
                    byte_count INTEGER NOT NULL,
                    sha256 BLOB,
                    PRIMARY KEY (session_id, number)
                );
                """)
        }
        migrator.registerMigration("v5: who worded each question (model or template), which model, and the account's model setting") { db in
            try db.execute(sql: """
                ALTER TABLE turns ADD COLUMN question_source TEXT NOT NULL DEFAULT 'template';
                ALTER TABLE turns ADD COLUMN model_name TEXT;
                ALTER TABLE accounts ADD COLUMN model_processing BOOLEAN NOT NULL DEFAULT 1;
                """)
        }
        return migrator
    }
}
