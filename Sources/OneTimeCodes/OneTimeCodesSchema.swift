import Storage

/// The tables of the OneTimeCodes module. Callers register ``migrations`` in their
/// `MigrationRegistry` next to `RightsSchema` and `SessionsSchema`.
public enum OneTimeCodesSchema {
    public static let migrations: [StorageMigration] = [
        StorageMigration("otp.v1") { db in
            try db.executeScript("""
                CREATE TABLE otp_credential (
                    id TEXT PRIMARY KEY,
                    person TEXT NOT NULL,
                    kind TEXT NOT NULL,              -- totp, sms, email, password
                    state TEXT NOT NULL,             -- pending, active, disabled
                    enrolled_at_level INTEGER NOT NULL,
                    created_at REAL NOT NULL,
                    last_used_at REAL,
                    username TEXT UNIQUE,            -- password credentials
                    destination_sealed BLOB,         -- sms/e-mail destination, AES-256-GCM
                    destination_hash BLOB,           -- HMAC of the destination, for quotas
                    secret BLOB,                     -- sealed TOTP seed, or the scrypt hash
                    salt BLOB,                       -- scrypt salt
                    key_id TEXT,                     -- key of secret/destination_sealed
                    params TEXT NOT NULL DEFAULT '', -- "SHA1:6:30" or "scrypt:N:r:p"
                    last_step INTEGER,               -- last accepted TOTP time step
                    drift INTEGER NOT NULL DEFAULT 0,-- TOTP resync offset in steps
                    failures INTEGER NOT NULL DEFAULT 0,
                    lock_count INTEGER NOT NULL DEFAULT 0,
                    locked_until REAL
                );
                CREATE INDEX otp_credential_person ON otp_credential(person, kind, state);
                CREATE TABLE otp_challenge (
                    id TEXT PRIMARY KEY,
                    credential_id TEXT NOT NULL REFERENCES otp_credential(id),
                    person TEXT NOT NULL,
                    channel TEXT NOT NULL,
                    purpose TEXT NOT NULL,           -- confirm, login
                    code_hash BLOB NOT NULL,         -- HMAC-SHA256(key, id:code)
                    code_sealed BLOB,                -- only during the resend cool-down
                    key_id TEXT NOT NULL,
                    created_at REAL NOT NULL,
                    expires_at REAL NOT NULL,
                    resend_until REAL NOT NULL,
                    used INTEGER NOT NULL DEFAULT 0
                );
                CREATE INDEX otp_challenge_credential ON otp_challenge(credential_id, created_at);
                CREATE TABLE otp_send (
                    person TEXT NOT NULL,
                    destination_hash BLOB NOT NULL,
                    sent_at REAL NOT NULL
                );
                CREATE INDEX otp_send_person ON otp_send(person, sent_at);
                CREATE INDEX otp_send_destination ON otp_send(destination_hash, sent_at);
                CREATE TABLE otp_audit (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    at REAL NOT NULL,
                    person TEXT,
                    credential_id TEXT,
                    event TEXT NOT NULL,
                    source TEXT NOT NULL DEFAULT ''
                );
                CREATE INDEX otp_audit_source ON otp_audit(source, event, at);
                CREATE INDEX otp_audit_person ON otp_audit(person, event, at);
                CREATE TRIGGER otp_audit_no_update BEFORE UPDATE ON otp_audit
                    BEGIN SELECT RAISE(ABORT, 'otp_audit is append-only'); END;
                CREATE TRIGGER otp_audit_no_delete BEFORE DELETE ON otp_audit
                    BEGIN SELECT RAISE(ABORT, 'otp_audit is append-only'); END;
                """)
        },
        StorageMigration("otp.v2") { db in
            // Locks per key and source address, and the key's failures from unfamiliar sources
            // (source '*'), replacing the per-credential lock columns (issue 19); addresses with a
            // success on a key are familiar for a while.
            try db.executeScript("""
                CREATE TABLE otp_lock (
                    account TEXT NOT NULL,           -- credential id, or password:<username>
                    source TEXT NOT NULL,            -- client address, or '*' for the unfamiliar-source count
                    person TEXT,                     -- the key's owner (nil for an unknown username)
                    failures INTEGER NOT NULL,
                    lock_count INTEGER NOT NULL,
                    locked_until REAL,
                    window_start REAL NOT NULL,
                    PRIMARY KEY (account, source)
                );
                CREATE INDEX otp_lock_person ON otp_lock(person) WHERE person IS NOT NULL;
                CREATE TABLE otp_familiar_source (
                    account TEXT NOT NULL,
                    source TEXT NOT NULL,
                    person TEXT NOT NULL,
                    last_success REAL NOT NULL,
                    PRIMARY KEY (account, source)
                );
                CREATE INDEX otp_audit_refusal ON otp_audit(source, event, at, credential_id);
                CREATE INDEX otp_send_sent ON otp_send(sent_at);
                CREATE INDEX otp_challenge_expiry ON otp_challenge(expires_at);
                """)
        },
    ]
}
