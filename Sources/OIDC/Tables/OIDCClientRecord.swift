import Foundation
import Storage

/// One row of `oidc_client`: a relying application registered in the database (`sleutel oidc
/// client …`), its registration as JSON (an ``OIDCClient``), so that every instance on the
/// database sees a change at once, without a restart.
struct OIDCClientRecord {
    enum Column: String, SQLColumnList {
        case clientID = "client_id"
        case registration
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    var clientID: String
    var registration: String
    var createdAt: Date
    var updatedAt: Date

    init(clientID: String, registration: String, createdAt: Date, updatedAt: Date) {
        self.clientID = clientID
        self.registration = registration
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    init(row: SQLRow) throws(StorageError) {
        clientID = try row.value(Column.clientID)
        registration = try row.value(Column.registration)
        createdAt = try row.value(Column.createdAt)
        updatedAt = try row.value(Column.updatedAt)
    }

    var arguments: SQLArguments { [clientID, registration, createdAt, updatedAt] }

    // MARK: - Statements

    private static let selectSQL = Column.select(from: "oidc_client")

    /// Inserts the client or replaces its registration (keeping when it was first added).
    static func upsert(_ record: OIDCClientRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(Column.insert(into: "oidc_client") + """
             ON CONFLICT (client_id) DO UPDATE SET registration = excluded.registration, updated_at = excluded.updated_at
            """, record.arguments)
    }

    static func find(clientID: String, in db: SQLConnection) throws(StorageError) -> OIDCClientRecord? {
        try db.row(selectSQL + " WHERE client_id = ?", [clientID]).map { row throws(StorageError) in try OIDCClientRecord(row: row) }
    }

    static func all(in db: SQLConnection) throws(StorageError) -> [OIDCClientRecord] {
        try db.rows(selectSQL + " ORDER BY client_id").map { row throws(StorageError) in try OIDCClientRecord(row: row) }
    }

    /// Deletes the client; true when it existed.
    static func delete(clientID: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.execute("DELETE FROM oidc_client WHERE client_id = ?", [clientID]) == 1
    }
}
