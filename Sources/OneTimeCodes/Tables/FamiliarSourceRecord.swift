import Foundation
import Storage

/// One row of the `otp_familiar_source` table (a source address with a success on a key), and
/// every statement on it.
struct FamiliarSourceRecord {
    enum Column: String, SQLColumnList {
        case account, source, person
        case lastSuccess = "last_success"
    }

    /// A credential id, or `password:<username>`.
    var account: String
    var source: String
    var person: String
    var lastSuccess: Date

    init(account: String, source: String, person: String, lastSuccess: Date) {
        self.account = account
        self.source = source
        self.person = person
        self.lastSuccess = lastSuccess
    }

    init(row: SQLRow) throws(StorageError) {
        account = try row.value(Column.account)
        source = try row.value(Column.source)
        person = try row.value(Column.person)
        lastSuccess = try row.value(Column.lastSuccess)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [account, source, person, lastSuccess] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "otp_familiar_source")

    /// Inserts the row, or moves the last success of the existing one to `record.lastSuccess`.
    static func upsert(_ record: FamiliarSourceRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL + " ON CONFLICT (account, source) DO UPDATE SET last_success = excluded.last_success", record.arguments)
    }

    /// Whether `source` had a success on `account` after `since`.
    static func contains(account: String, source: String, since: Date, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT 1 FROM otp_familiar_source WHERE account = ? AND source = ? AND last_success > ?", [account, source, since],
                     as: Int.self) != nil
    }

    /// Deletes rows whose last success was before `cutoff`; returns how many.
    static func purge(before cutoff: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM otp_familiar_source WHERE last_success < ?", [cutoff])
    }
}
