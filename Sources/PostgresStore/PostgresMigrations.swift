/// The PostgreSQL schema, as named migrations applied in order and recorded in `schema_migrations`. A migration is
/// never edited after it lands: add a new one. The ones named `vN` mirror SQLite's (`StoreMigrations`, same names,
/// same tables and columns, PostgreSQL types) and `postgres vN` are the fleet's own; a change to the shared schema
/// adds a migration to both lists. Applied migrations are recognised by name, so a new one may go anywhere in the list.
enum PostgresMigrations {
    static let all: [(name: String, sql: String)] = [
        ("v1: accounts, tokens, ledger, sessions, turns", """
            CREATE TABLE accounts (
                id TEXT PRIMARY KEY,
                name TEXT NOT NULL,
                email TEXT NOT NULL UNIQUE,
                password_hash TEXT NOT NULL,
                birth_date TEXT NOT NULL,
                balance_ms BIGINT NOT NULL CHECK (balance_ms >= 0),
                created_at TIMESTAMPTZ NOT NULL
            );
            CREATE TABLE auth_tokens (
                token_hash BYTEA PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                created_at TIMESTAMPTZ NOT NULL,
                expires_at TIMESTAMPTZ NOT NULL
            );
            CREATE INDEX auth_tokens_account ON auth_tokens(account_id);
            CREATE TABLE ledger_entries (
                seq BIGSERIAL PRIMARY KEY,
                entry_id TEXT NOT NULL UNIQUE,
                account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
                kind TEXT NOT NULL,
                amount_ms BIGINT NOT NULL,
                reason TEXT NOT NULL,
                session_id TEXT,
                created_at TIMESTAMPTZ NOT NULL
            );
            CREATE INDEX ledger_entries_account ON ledger_entries(account_id);
            CREATE TABLE sessions (
                id TEXT PRIMARY KEY,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                track_id TEXT NOT NULL,
                mode TEXT NOT NULL,
                sample_rate INTEGER NOT NULL,
                started_at TIMESTAMPTZ NOT NULL,
                ended_at TIMESTAMPTZ,
                end_reason TEXT,
                summary_json TEXT,
                billed_ms BIGINT NOT NULL DEFAULT 0
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
                asked_at TIMESTAMPTZ NOT NULL,
                answer_text TEXT,
                answer_started_at TIMESTAMPTZ,
                answer_ended_at TIMESTAMPTZ,
                answer_complete BOOLEAN,
                audio_ms BIGINT,
                analysis_json TEXT,
                PRIMARY KEY (session_id, question_id)
            );
            """),
        ("v2: token idle expiry, payment events, ledger external ids", """
            ALTER TABLE auth_tokens ADD COLUMN last_used_at TIMESTAMPTZ;
            ALTER TABLE auth_tokens ADD COLUMN idle_expires_at TIMESTAMPTZ;
            UPDATE auth_tokens SET last_used_at = created_at, idle_expires_at = expires_at;
            ALTER TABLE ledger_entries ADD COLUMN external_id TEXT;
            CREATE UNIQUE INDEX ledger_entries_external_id ON ledger_entries(external_id) WHERE external_id IS NOT NULL;
            CREATE INDEX ledger_entries_session ON ledger_entries(session_id);
            CREATE TABLE payment_events (
                event_id TEXT PRIMARY KEY,
                body_sha256 BYTEA NOT NULL,
                kind TEXT NOT NULL,
                account_id TEXT REFERENCES accounts(id) ON DELETE SET NULL,
                product_id TEXT,
                purchase_event_id TEXT,
                requested_ms BIGINT NOT NULL,
                amount_ms BIGINT NOT NULL,
                entry_id TEXT,
                refunded_by TEXT,
                received_at TIMESTAMPTZ NOT NULL
            );
            CREATE INDEX payment_events_account ON payment_events(account_id);
            """),
        ("v3: answer scores and session reports", """
            ALTER TABLE turns ADD COLUMN score_json TEXT;
            ALTER TABLE sessions ADD COLUMN report_json TEXT;
            """),
        ("v4: session videos and their chunks", """
            CREATE TABLE session_videos (
                session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
                account_id TEXT NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
                mime_type TEXT NOT NULL,
                started_at TIMESTAMPTZ NOT NULL,
                byte_count BIGINT NOT NULL DEFAULT 0,
                next_chunk INTEGER NOT NULL DEFAULT 0,
                finished_at TIMESTAMPTZ
            );
            CREATE INDEX session_videos_account ON session_videos(account_id);
            CREATE TABLE video_chunks (
                session_id TEXT NOT NULL REFERENCES session_videos(session_id) ON DELETE CASCADE,
                number INTEGER NOT NULL,
                byte_offset BIGINT NOT NULL,
                byte_count BIGINT NOT NULL,
                sha256 BYTEA,
                PRIMARY KEY (session_id, number)
            );
            """),
        ("v5: who worded each question (model or template), which model, and the account's model setting", """
            ALTER TABLE turns ADD COLUMN question_source TEXT NOT NULL DEFAULT 'template';
            ALTER TABLE turns ADD COLUMN model_name TEXT;
            ALTER TABLE accounts ADD COLUMN model_processing BOOLEAN NOT NULL DEFAULT true;
            """),
        // What a fleet needs and one process does not: each settled charge's id, so a batch retried after a lost
        // COMMIT acknowledgement charges nothing twice; and the node serving each session, so a node that starts
        // closes only the sessions it left open itself.
        ("postgres v1: settled charges, the node of each session", """
            CREATE TABLE settled_charges (
                charge_id TEXT PRIMARY KEY,
                settled_at TIMESTAMPTZ NOT NULL
            );
            ALTER TABLE sessions ADD COLUMN node_id TEXT;
            CREATE INDEX sessions_open_on_node ON sessions(node_id) WHERE ended_at IS NULL;
            """),
    ]

    /// Applies the missing migrations in one transaction, under an advisory lock: nodes starting together wait for
    /// each other, and a failed migration leaves the schema as it was.
    static func migrate(_ pool: PostgresConnectionPool) throws {
        try pool.transaction { connection in
            try connection.execute("""
                SELECT pg_advisory_xact_lock(7436587);
                CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
                """)
            let applied = Set(try connection.query("SELECT name FROM schema_migrations").map { try $0.decode("name", as: String.self) })
            for migration in all where !applied.contains(migration.name) {
                try connection.execute(migration.sql)
                try connection.query("INSERT INTO schema_migrations (name) VALUES ($1)", [migration.name])
            }
        }
    }
}
