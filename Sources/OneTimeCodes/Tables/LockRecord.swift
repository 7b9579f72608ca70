import Foundation
import Storage

/// One row of the `otp_lock` table (the failures and lock of one key from one source address, or
/// from unfamiliar sources under source ``unfamiliar``), and every statement on it.
struct LockRecord {
    enum Column: String, SQLColumnList {
        case account, source, person, failures
        case lockCount = "lock_count"
        case lockedUntil = "locked_until"
        case windowStart = "window_start"
    }

    /// The source of the key's failures from unfamiliar sources.
    static let unfamiliar = "*"

    /// A credential id, or `password:<username>`.
    var account: String
    /// The client address, or ``unfamiliar``.
    var source: String
    /// The key's owner (nil for an unknown username).
    var person: String?
    var failures: Int
    var lockCount: Int
    var lockedUntil: Date?
    var windowStart: Date

    init(account: String, source: String, person: String?, failures: Int, lockCount: Int, lockedUntil: Date?, windowStart: Date) {
        self.account = account
        self.source = source
        self.person = person
        self.failures = failures
        self.lockCount = lockCount
        self.lockedUntil = lockedUntil
        self.windowStart = windowStart
    }

    init(row: SQLRow) throws(StorageError) {
        account = try row.value(Column.account)
        source = try row.value(Column.source)
        person = try row.optional(Column.person)
        failures = try row.value(Column.failures)
        lockCount = try row.value(Column.lockCount)
        lockedUntil = try row.optional(Column.lockedUntil)
        windowStart = try row.value(Column.windowStart)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [account, source, person, failures, lockCount, lockedUntil, windowStart] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "otp_lock")
    private static let selectSQL = Column.select(from: "otp_lock")

    static func find(account: String, source: String, in db: SQLConnection) throws(StorageError) -> LockRecord? {
        try db.row(selectSQL + " WHERE account = ? AND source = ?", [account, source]).map { row throws(StorageError) in
            try LockRecord(row: row)
        }
    }

    /// Counts one failure of `account` from `source` (a first one opens the row at `now`).
    static func countFailure(account: String, source: String, person: String?, at now: Date, in db: SQLConnection) throws(StorageError) {
        let first = LockRecord(account: account, source: source, person: person, failures: 1, lockCount: 0, lockedUntil: nil, windowStart: now)
        try db.execute(insertSQL + " ON CONFLICT (account, source) DO UPDATE SET failures = otp_lock.failures + 1", first.arguments)
    }

    /// Counts one failure of `account` from an unfamiliar source, in a window that restarts at
    /// `now` when it began at or before `cutoff`.
    static func countUnfamiliarFailure(account: String, person: String?, at now: Date, restartingWindowsStartedBy cutoff: Date,
                                       in db: SQLConnection) throws(StorageError) {
        let first = LockRecord(account: account, source: unfamiliar, person: person, failures: 1, lockCount: 0, lockedUntil: nil,
                               windowStart: now)
        var arguments = first.arguments
        arguments.append(cutoff)
        arguments.append(cutoff)
        try db.execute(insertSQL + """
             ON CONFLICT (account, source) DO UPDATE SET
                failures = CASE WHEN otp_lock.window_start <= ? THEN 1 ELSE otp_lock.failures + 1 END,
                window_start = CASE WHEN otp_lock.window_start <= ? THEN excluded.window_start ELSE otp_lock.window_start END
            """, arguments)
    }

    /// Locks `source` out of `account` until `until`: the failures start again, one more lock counted.
    static func lock(account: String, source: String, until: Date, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE otp_lock SET failures = 0, lock_count = lock_count + 1, locked_until = ? WHERE account = ? AND source = ?",
                       [until, account, source])
    }

    /// Whether `person` has any lock row.
    static func exists(person: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT 1 FROM otp_lock WHERE person = ? LIMIT 1", [person], as: Int.self) != nil
    }

    /// Deletes the row of `account` from `source`; returns how many (0 or 1).
    static func delete(account: String, source: String, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM otp_lock WHERE account = ? AND source = ?", [account, source])
    }

    /// Deletes the rows of `account` from every source.
    static func delete(account: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("DELETE FROM otp_lock WHERE account = ?", [account])
    }

    /// Deletes every row of `person`; returns how many.
    static func delete(person: String, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM otp_lock WHERE person = ?", [person])
    }

    /// Deletes rows without a lock after `lockedBefore` whose window started before `windowBefore`; returns how many.
    static func purge(lockedBefore: Date, windowBefore: Date, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("DELETE FROM otp_lock WHERE (locked_until IS NULL OR locked_until < ?) AND window_start < ?", [lockedBefore, windowBefore])
    }
}
