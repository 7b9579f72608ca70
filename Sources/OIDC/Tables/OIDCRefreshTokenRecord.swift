import Foundation
import Storage

/// One row of `oidc_refresh_token`: a refresh token (stored as the SHA-256 of its value) of one
/// family — the tokens descending from one authorization code. Each is spent on use and replaced
/// by the next; presenting a spent one revokes the whole family and its access tokens.
struct OIDCRefreshTokenRecord {
    enum Column: String, SQLColumnList {
        case tokenHash = "token_hash"
        case familyHash = "family_hash"
        case clientID = "client_id"
        case sessionID = "session_id"
        case claims
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case usedAt = "used_at"
        case revokedAt = "revoked_at"
    }

    var tokenHash: Data
    /// The hash of the authorization code the family started with (its access tokens carry it too).
    var familyHash: Data
    var clientID: String
    var sessionID: String
    /// The claim snapshot of the login (as stored with the code).
    var claims: String
    var createdAt: Date
    var expiresAt: Date
    var usedAt: Date?
    var revokedAt: Date?

    init(tokenHash: Data, familyHash: Data, clientID: String, sessionID: String, claims: String, createdAt: Date, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.familyHash = familyHash
        self.clientID = clientID
        self.sessionID = sessionID
        self.claims = claims
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    init(row: SQLRow) throws(StorageError) {
        tokenHash = try row.value(Column.tokenHash)
        familyHash = try row.value(Column.familyHash)
        clientID = try row.value(Column.clientID)
        sessionID = try row.value(Column.sessionID)
        claims = try row.value(Column.claims)
        createdAt = try row.value(Column.createdAt)
        expiresAt = try row.value(Column.expiresAt)
        usedAt = try row.optional(Column.usedAt)
        revokedAt = try row.optional(Column.revokedAt)
    }

    var arguments: SQLArguments { [tokenHash, familyHash, clientID, sessionID, claims, createdAt, expiresAt, usedAt, revokedAt] }

    // MARK: - Statements

    static func insert(_ record: OIDCRefreshTokenRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(Column.insert(into: "oidc_refresh_token"), record.arguments)
    }

    /// Spends the token in one statement: the row when it was unused, unrevoked and unexpired.
    static func spend(tokenHash: Data, at now: Date, in db: SQLConnection) throws(StorageError) -> OIDCRefreshTokenRecord? {
        try db.row("""
            UPDATE oidc_refresh_token SET used_at = ?
            WHERE token_hash = ? AND used_at IS NULL AND revoked_at IS NULL AND expires_at > ?
            RETURNING \(Column.names)
            """, [now, tokenHash, now]).map { row throws(StorageError) in try OIDCRefreshTokenRecord(row: row) }
    }

    /// The family of a token that exists (spent, revoked or expired), for reuse detection.
    static func family(of tokenHash: Data, in db: SQLConnection) throws(StorageError) -> Data? {
        try db.value("SELECT family_hash FROM oidc_refresh_token WHERE token_hash = ?", [tokenHash], as: Data.self)
    }

    /// Revokes every token of the family; returns how many were still unrevoked.
    @discardableResult
    static func revoke(family: Data, at now: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("UPDATE oidc_refresh_token SET revoked_at = ? WHERE family_hash = ? AND revoked_at IS NULL", [now, family])
    }

    /// Deletes tokens that expired before `now`; returns how many.
    static func purge(expiredBefore now: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM oidc_refresh_token WHERE expires_at < ?", [now])
    }
}
