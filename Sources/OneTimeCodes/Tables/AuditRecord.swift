import Foundation
import Storage

/// One row of the `otp_audit` table (append-only: triggers refuse updates and deletes), and every
/// statement on it. `seq`, the order of the trail, is given by the database and not part of the record.
struct AuditRecord {
    enum Column: String, SQLColumnList {
        case at, person
        case credentialID = "credential_id"
        case event, source
    }

    var at: Date
    var person: String?
    var credentialID: String?
    var event: String
    /// The client address, or empty for the person's own act.
    var source: String

    init(at: Date, person: String?, credentialID: String?, event: String, source: String) {
        self.at = at
        self.person = person
        self.credentialID = credentialID
        self.event = event
        self.source = source
    }

    init(row: SQLRow) throws(StorageError) {
        at = try row.value(Column.at)
        person = try row.optional(Column.person)
        credentialID = try row.optional(Column.credentialID)
        event = try row.value(Column.event)
        source = try row.value(Column.source)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [at, person, credentialID, event, source] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "otp_audit")

    static func insert(_ record: AuditRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// The rejections from `source` after `since` (the per-source rate limit).
    static func rejections(source: String, since: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.value("SELECT COUNT(*) FROM otp_audit WHERE source = ? AND event = 'rejected' AND at > ?", [source, since]) ?? 0
    }

    /// The rejections of `person` after `since` (the per-person rate limit).
    static func rejections(person: String, since: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.value("SELECT COUNT(*) FROM otp_audit WHERE person = ? AND event = 'rejected' AND at > ?", [person, since]) ?? 0
    }

    /// Whether `event` was recorded for `source` and `credential` (nil: without a credential) after `since`.
    static func contains(event: String, source: String, credential: String?, since: Date, in db: SQLConnection) throws(StorageError) -> Bool {
        // `credential_id IS ?` is SQLite only: the NULL case is a statement of its own.
        let query = "SELECT 1 FROM otp_audit WHERE source = ? AND event = ? AND at > ? AND "
        if let credential {
            return try db.value(query + "credential_id = ? LIMIT 1", [source, event, since, credential], as: Int.self) != nil
        }
        return try db.value(query + "credential_id IS NULL LIMIT 1", [source, event, since], as: Int.self) != nil
    }
}
