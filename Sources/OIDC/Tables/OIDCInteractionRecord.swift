import Foundation
import Storage

/// One row of `oidc_interaction`: an authorization request waiting for the person to log in on
/// Sleutel's pages (its query parameters as JSON), single use and short-lived.
struct OIDCInteractionRecord {
    enum Column: String, SQLColumnList {
        case id
        case clientID = "client_id"
        case request
        case createdAt = "created_at"
        case expiresAt = "expires_at"
    }

    var id: String
    var clientID: String
    var request: String
    var createdAt: Date
    var expiresAt: Date

    init(id: String, clientID: String, request: String, createdAt: Date, expiresAt: Date) {
        self.id = id
        self.clientID = clientID
        self.request = request
        self.createdAt = createdAt
        self.expiresAt = expiresAt
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id)
        clientID = try row.value(Column.clientID)
        request = try row.value(Column.request)
        createdAt = try row.value(Column.createdAt)
        expiresAt = try row.value(Column.expiresAt)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [id, clientID, request, createdAt, expiresAt] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "oidc_interaction")
    private static let selectSQL = Column.select(from: "oidc_interaction")

    static func insert(_ record: OIDCInteractionRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// The unexpired interaction `id`.
    static func find(id: String, at now: Date, in db: SQLConnection) throws(StorageError) -> OIDCInteractionRecord? {
        try db.row(selectSQL + " WHERE id = ? AND expires_at > ?", [id, now]).map { row throws(StorageError) in try OIDCInteractionRecord(row: row) }
    }

    /// Deletes the interaction and returns it if it had not expired (single use, one statement).
    static func take(id: String, at now: Date, in db: SQLConnection) throws(StorageError) -> OIDCInteractionRecord? {
        try db.row("DELETE FROM oidc_interaction WHERE id = ? RETURNING \(Column.names)", [id]).flatMap { row throws(StorageError) in
            let record = try OIDCInteractionRecord(row: row)
            return record.expiresAt > now ? record : nil
        }
    }

    /// Deletes interactions that expired before `now`; returns how many.
    static func purge(expiredBefore now: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM oidc_interaction WHERE expires_at < ?", [now])
    }
}
