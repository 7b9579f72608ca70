import Storage

/// The Sessions module's tables. Register `SessionsSchema.migrations` with the `MigrationRegistry`.
public enum SessionsSchema {
    public static let migrations: [StorageMigration] = [
        StorageMigration("sessions.v1") { db in
            try db.executeScript("""
                CREATE TABLE login_transaction (
                    id TEXT PRIMARY KEY,
                    kind TEXT NOT NULL,
                    application TEXT NOT NULL,
                    challenge BLOB NOT NULL,
                    card_binding TEXT,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    used_at REAL
                ) STRICT;
                CREATE INDEX login_transaction_expiry ON login_transaction(expires_at);
                CREATE TABLE session (
                    id TEXT PRIMARY KEY,
                    token_hash BLOB NOT NULL UNIQUE,
                    person TEXT,
                    given_name TEXT,
                    family_name TEXT,
                    method TEXT NOT NULL,
                    level INTEGER NOT NULL,
                    authenticated_at REAL NOT NULL,
                    created_at REAL NOT NULL,
                    last_used_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    idle_timeout REAL NOT NULL,
                    card_binding TEXT,
                    organisation TEXT,
                    application TEXT,
                    ended_at REAL,
                    end_reason TEXT
                ) STRICT;
                CREATE INDEX session_card ON session(card_binding) WHERE card_binding IS NOT NULL AND ended_at IS NULL;
                CREATE INDEX session_person ON session(person) WHERE ended_at IS NULL;
                CREATE INDEX session_expiry ON session(expires_at) WHERE ended_at IS NULL;
                """)
        },
        StorageMigration("sessions.v2") { db in
            // Security-code login (password, then TOTP/SMS/e-mail code) keeps its state on the transaction.
            try db.executeScript("""
                ALTER TABLE login_transaction ADD COLUMN person TEXT;
                ALTER TABLE login_transaction ADD COLUMN password_level INTEGER;
                ALTER TABLE login_transaction ADD COLUMN code_challenge TEXT;
                ALTER TABLE login_transaction ADD COLUMN code_channel TEXT;
                ALTER TABLE login_transaction ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
                """)
        },
        StorageMigration("sessions.v3") { db in
            // The time of the session's last card login, apart from the time of its current level
            // (issue 19): existing sessions start without one, so keys need a new card login.
            try db.executeScript("ALTER TABLE session ADD COLUMN card_authenticated_at REAL")
        },
        StorageMigration("sessions.v4") { db in
            // A Web eID login is bound to the origin of the page that asked for it (issue 21).
            try db.executeScript("ALTER TABLE login_transaction ADD COLUMN origin TEXT")
        },
    ]
}
