import Storage

/// The OIDC provider's tables: authorization codes and access tokens (both stored as SHA-256 of
/// the bearer value), pending login requests, and the clients to tell when a session ends. Register `OIDCSchema.migrations` with the `MigrationRegistry`.
public enum OIDCSchema {
    public static let migrations: [StorageMigration] = [
        StorageMigration("oidc.v1") { db in
            try db.executeScript("""
                CREATE TABLE oidc_code (
                    code_hash BLOB PRIMARY KEY,
                    client_id TEXT NOT NULL,
                    redirect_uri TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    code_challenge TEXT NOT NULL,
                    claims TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    used_at REAL
                ) STRICT;
                CREATE TABLE oidc_access_token (
                    token_hash BLOB PRIMARY KEY,
                    client_id TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    code_hash BLOB NOT NULL,
                    claims TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    revoked_at REAL
                ) STRICT;
                CREATE INDEX oidc_access_token_code ON oidc_access_token(code_hash);
                """)
        },
        StorageMigration("oidc.v2") { db in
            // The scheduled purge deletes by expiry (issue 19).
            try db.executeScript("""
                CREATE INDEX oidc_code_expiry ON oidc_code(expires_at);
                CREATE INDEX oidc_access_token_expiry ON oidc_access_token(expires_at);
                """)
        },
        StorageMigration("oidc.v3") { db in
            // Authorization requests waiting on the login pages (issue 21).
            try db.executeScript("""
                CREATE TABLE oidc_interaction (
                    id TEXT PRIMARY KEY,
                    client_id TEXT NOT NULL,
                    request TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL
                ) STRICT;
                CREATE INDEX oidc_interaction_expiry ON oidc_interaction(expires_at);
                """)
        },
        StorageMigration("oidc.v4") { db in
            // Clients to tell by back-channel logout when a session ends (issue 21).
            try db.executeScript("""
                CREATE TABLE oidc_session_client (
                    session_id TEXT NOT NULL,
                    client_id TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    attempts INTEGER NOT NULL,
                    next_attempt_at REAL NOT NULL,
                    PRIMARY KEY (session_id, client_id)
                ) STRICT;
                CREATE INDEX oidc_session_client_due ON oidc_session_client(next_attempt_at);
                """)
        },
        StorageMigration("oidc.v5") { db in
            // Refresh tokens, rotated on every use; a reused one revokes its family (issue 21).
            try db.executeScript("""
                CREATE TABLE oidc_refresh_token (
                    token_hash BLOB PRIMARY KEY,
                    family_hash BLOB NOT NULL,
                    client_id TEXT NOT NULL,
                    session_id TEXT NOT NULL,
                    claims TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    used_at REAL,
                    revoked_at REAL
                ) STRICT;
                CREATE INDEX oidc_refresh_token_family ON oidc_refresh_token(family_hash);
                CREATE INDEX oidc_refresh_token_expiry ON oidc_refresh_token(expires_at);
                """)
        },
        StorageMigration("oidc.v6") { db in
            // Clients registered in the database (`sleutel oidc client …`), seen without a restart.
            try db.executeScript("""
                CREATE TABLE oidc_client (
                    client_id TEXT PRIMARY KEY,
                    registration TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    updated_at REAL NOT NULL
                ) STRICT;
                """)
        },
        StorageMigration("oidc.v7") { db in
            // Signing keys in the database: rotated without a restart, shared by the instances.
            try db.executeScript("""
                CREATE TABLE oidc_signing_key (
                    key_id TEXT PRIMARY KEY,
                    private_key TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    signs_from REAL NOT NULL,
                    retires_at REAL
                ) STRICT;
                """)
        },
    ]
}
