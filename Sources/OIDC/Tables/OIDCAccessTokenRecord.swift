import Foundation
import Storage

/// One row of `oidc_access_token`: an access token (kept as its SHA-256), the code it was made
/// from (so a replayed code revokes it) and its claim snapshot for userinfo.
struct OIDCAccessTokenRecord {
    enum Column: String, SQLColumnList {
        case tokenHash = "token_hash"
        case clientID = "client_id"
        case sessionID = "session_id"
        case codeHash = "code_hash"
        case claims
        case expiresAt = "expires_at"
        case revokedAt = "revoked_at"
    }

    var tokenHash: Data
    var clientID: String
    var sessionID: String
    var codeHash: Data
    var claims: String
    var expiresAt: Date
    var revokedAt: Date?

    init(tokenHash: Data, clientID: String, sessionID: String, codeHash: Data, claims: String, expiresAt: Date) {
        self.tokenHash = tokenHash
        self.clientID = clientID
        self.sessionID = sessionID
        self.codeHash = codeHash
        self.claims = claims
        self.expiresAt = expiresAt
        self.revokedAt = nil
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [tokenHash, clientID, sessionID, codeHash, claims, expiresAt, revokedAt] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "oidc_access_token")

    static func insert(_ record: OIDCAccessTokenRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// The claim snapshot of an unrevoked token that has not expired at `now`.
    static func liveClaims(tokenHash: Data, at now: Date, in db: SQLConnection) throws(StorageError) -> String? {
        try db.value("SELECT claims FROM oidc_access_token WHERE token_hash = ? AND revoked_at IS NULL AND expires_at > ?", [tokenHash, now])
    }

    /// Revokes every token made from the code (a replayed code, RFC 6749 §4.1.2).
    static func revoke(madeFrom codeHash: Data, at now: Date, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE oidc_access_token SET revoked_at = ? WHERE code_hash = ? AND revoked_at IS NULL", [now, codeHash])
    }

    /// Deletes tokens that expired before `now`; returns how many.
    static func purge(expiredBefore now: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM oidc_access_token WHERE expires_at < ?", [now])
    }
}
