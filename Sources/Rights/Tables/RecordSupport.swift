import Storage

// Conventions of the Rights tables: days are ISO text (`LocalDate.iso`), instants ISO text with
// fractional seconds (`Audit.text`), booleans 0/1. Generated keys (`id`, `seq`) are assigned by
// the database and returned by the insert (`RETURNING`), so a record's `arguments` leave them out.

extension SQLColumnList where Self: Equatable {
    /// `INSERT INTO table (b, c) VALUES (?, ?)`: every column but `generated`, which the database assigns.
    static func insert(into table: String, omitting generated: Self) -> String {
        let columns = allCases.filter { $0 != generated }.map(\.rawValue)
        let placeholders = Array(repeating: "?", count: columns.count).joined(separator: ", ")
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(placeholders))"
    }

    /// `INSERT INTO table (b, c) VALUES (?, ?) RETURNING a`: every column but `generated`, which
    /// the database assigns and the statement returns.
    static func insert(into table: String, returning generated: Self) -> String {
        insert(into: table, omitting: generated) + " RETURNING \(generated.rawValue)"
    }
}

extension SQLRow {
    /// The day in `column` (ISO text).
    func day<C: SQLColumnList>(_ column: C) throws(StorageError) -> LocalDate {
        try Self.day(try value(column, as: String.self), column.rawValue)
    }

    /// The day in `column`, nil when it is NULL.
    func optionalDay<C: SQLColumnList>(_ column: C) throws(StorageError) -> LocalDate? {
        guard let text = try optional(column, as: String.self) else { return nil }
        return try Self.day(text, column.rawValue)
    }

    /// The day at `position` (ISO text).
    func day(at position: Int) throws(StorageError) -> LocalDate {
        try Self.day(try value(at: position, as: String.self), "\(position)")
    }

    /// The day at `position`, nil when it is NULL.
    func optionalDay(at position: Int) throws(StorageError) -> LocalDate? {
        guard let text = try optional(at: position, as: String.self) else { return nil }
        return try Self.day(text, "\(position)")
    }

    private static func day(_ text: String, _ column: String) throws(StorageError) -> LocalDate {
        guard let day = LocalDate(text) else { throw StorageError(.decoding, "column \(column) is not a date") }
        return day
    }
}

extension SQLConnection {
    /// Runs an `INSERT … RETURNING id` and returns the generated key.
    func insertReturningID(_ sql: String, _ arguments: SQLArguments) throws(StorageError) -> Int64 {
        guard let id = try value(sql, arguments, as: Int64.self) else { throw StorageError(.query, "the insert returned no id") }
        return id
    }
}
