import Foundation
import Storage

/// One row of `oidc_code`: an authorization code (kept as its SHA-256) and what it was issued for.
struct OIDCCodeRecord {
    enum Column: String, SQLColumnList {
        case codeHash = "code_hash"
        case clientID = "client_id"
        case redirectURI = "redirect_uri"
        case sessionID = "session_id"
        case codeChallenge = "code_challenge"
        case claims
        case expiresAt = "expires_at"
        case usedAt = "used_at"
    }

    var codeHash: Data
    var clientID: String
    var redirectURI: String
    var sessionID: String
    /// The PKCE S256 challenge.
    var codeChallenge: String
    /// The claim snapshot (JSON) the tokens are made from.
    var claims: String
    var expiresAt: Date
    var usedAt: Date?

    init(codeHash: Data, clientID: String, redirectURI: String, sessionID: String, codeChallenge: String, claims: String, expiresAt: Date) {
        self.codeHash = codeHash
        self.clientID = clientID
        self.redirectURI = redirectURI
        self.sessionID = sessionID
        self.codeChallenge = codeChallenge
        self.claims = claims
        self.expiresAt = expiresAt
        self.usedAt = nil
    }

    init(row: SQLRow) throws(StorageError) {
        codeHash = try row.value(Column.codeHash)
        clientID = try row.value(Column.clientID)
        redirectURI = try row.value(Column.redirectURI)
        sessionID = try row.value(Column.sessionID)
        codeChallenge = try row.value(Column.codeChallenge)
        claims = try row.value(Column.claims)
        expiresAt = try row.value(Column.expiresAt)
        usedAt = try row.optional(Column.usedAt)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [codeHash, clientID, redirectURI, sessionID, codeChallenge, claims, expiresAt, usedAt] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "oidc_code")
    private static let spendSQL = "UPDATE oidc_code SET used_at = ? WHERE code_hash = ? AND used_at IS NULL RETURNING \(Column.names)"

    static func insert(_ record: OIDCCodeRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// Marks the code used in the statement that checks it was unused, and returns it; nil when
    /// it is unknown or was used before (expiry is the caller's check: an expired code is spent too).
    static func spend(codeHash: Data, at now: Date, in db: SQLConnection) throws(StorageError) -> OIDCCodeRecord? {
        try db.row(spendSQL, [now, codeHash]).map { row throws(StorageError) in try OIDCCodeRecord(row: row) }
    }

    /// Deletes codes that expired before `cutoff`; returns how many.
    static func purge(expiredBefore cutoff: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM oidc_code WHERE expires_at < ?", [cutoff])
    }
}
