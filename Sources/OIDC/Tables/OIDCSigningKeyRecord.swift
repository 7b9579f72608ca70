import Foundation
import Storage

/// One row of `oidc_signing_key`: a P-256 key of the provider (PKCS#8 PEM), when it starts
/// signing and when it leaves the JWKS. Shared by every instance on the database.
struct OIDCSigningKeyRecord {
    enum Column: String, SQLColumnList {
        case keyID = "key_id"
        case privateKey = "private_key"
        case createdAt = "created_at"
        case signsFrom = "signs_from"
        case retiresAt = "retires_at"
    }

    var keyID: String
    var privateKey: String
    var createdAt: Date
    /// From then on (until a newer key's turn) it signs; before, it is only published.
    var signsFrom: Date
    /// After this it is no longer published (nil: not retired).
    var retiresAt: Date?

    init(keyID: String, privateKey: String, createdAt: Date, signsFrom: Date, retiresAt: Date?) {
        self.keyID = keyID
        self.privateKey = privateKey
        self.createdAt = createdAt
        self.signsFrom = signsFrom
        self.retiresAt = retiresAt
    }

    init(row: SQLRow) throws(StorageError) {
        keyID = try row.value(Column.keyID)
        privateKey = try row.value(Column.privateKey)
        createdAt = try row.value(Column.createdAt)
        signsFrom = try row.value(Column.signsFrom)
        retiresAt = try row.optional(Column.retiresAt)
    }

    var arguments: SQLArguments { [keyID, privateKey, createdAt, signsFrom, retiresAt] }

    // MARK: - Statements

    static func insert(_ record: OIDCSigningKeyRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(Column.insert(into: "oidc_signing_key") + " ON CONFLICT (key_id) DO NOTHING", record.arguments)
    }

    /// The keys still published at `now`, oldest turn first.
    static func published(at now: Date, in db: SQLConnection) throws(StorageError) -> [OIDCSigningKeyRecord] {
        try db.rows(Column.select(from: "oidc_signing_key") + " WHERE retires_at IS NULL OR retires_at > ? ORDER BY signs_from", [now]).map {
            row throws(StorageError) in try OIDCSigningKeyRecord(row: row)
        }
    }

    /// Sets when every unretired key whose turn began before `before` leaves the JWKS.
    static func retire(signingBefore before: Date, at retiresAt: Date, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE oidc_signing_key SET retires_at = ? WHERE retires_at IS NULL AND signs_from < ?", [retiresAt, before])
    }

    /// Deletes keys retired before `now`.
    static func purge(retiredBefore now: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM oidc_signing_key WHERE retires_at IS NOT NULL AND retires_at < ?", [now])
    }
}
