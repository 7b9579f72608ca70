import Foundation
import Storage

/// One row of the `otp_send` table (a message sent, counted for the quotas), and every statement on it.
struct SendRecord {
    enum Column: String, SQLColumnList {
        case person
        case destinationHash = "destination_hash"
        case sentAt = "sent_at"
    }

    var person: String
    /// The HMAC of the destination (as in `otp_credential`).
    var destinationHash: Data
    var sentAt: Date

    init(person: String, destinationHash: Data, sentAt: Date) {
        self.person = person
        self.destinationHash = destinationHash
        self.sentAt = sentAt
    }

    init(row: SQLRow) throws(StorageError) {
        person = try row.value(Column.person)
        destinationHash = try row.value(Column.destinationHash)
        sentAt = try row.value(Column.sentAt)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [person, destinationHash, sentAt] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "otp_send")

    static func insert(_ record: SendRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// When the last message to the destination left, if one did.
    static func lastSent(destinationHash: Data, in db: SQLConnection) throws(StorageError) -> Date? {
        try db.value("SELECT MAX(sent_at) FROM otp_send WHERE destination_hash = ?", [destinationHash])
    }

    /// The messages sent to `person` after `since`.
    static func count(person: String, since: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.value("SELECT COUNT(*) FROM otp_send WHERE person = ? AND sent_at > ?", [person, since]) ?? 0
    }

    /// The messages sent to the destination after `since`.
    static func count(destinationHash: Data, since: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.value("SELECT COUNT(*) FROM otp_send WHERE destination_hash = ? AND sent_at > ?", [destinationHash, since]) ?? 0
    }

    /// Deletes the records of messages sent before `cutoff`; returns how many.
    static func purge(before cutoff: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM otp_send WHERE sent_at < ?", [cutoff])
    }
}
