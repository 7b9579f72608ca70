/// The columns of one table, named once: an enum whose raw values are the column names, in the
/// order a record binds them. Statements take their column and placeholder lists from it.
public protocol SQLColumnList: RawRepresentable, CaseIterable where RawValue == String {}

extension SQLColumnList {
    /// `a, b, c`: every column, in declaration order.
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    /// `?, ?, ?`: one placeholder per column.
    public static var placeholders: String { Array(repeating: "?", count: allCases.count).joined(separator: ", ") }

    /// `INSERT INTO table (a, b, c) VALUES (?, ?, ?)`.
    public static func insert(into table: String) -> String { "INSERT INTO \(table) (\(names)) VALUES (\(placeholders))" }

    /// `SELECT a, b, c FROM table`.
    public static func select(from table: String) -> String { "SELECT \(names) FROM \(table)" }
}

extension SQLRow {
    /// The non-NULL value of `column`.
    public func value<T: SQLDecodable, C: SQLColumnList>(_ column: C, as type: T.Type = T.self) throws(StorageError) -> T {
        try value(column.rawValue, as: type)
    }

    /// The value of `column`, nil when it is NULL.
    public func optional<T: SQLDecodable, C: SQLColumnList>(_ column: C, as type: T.Type = T.self) throws(StorageError) -> T? {
        try optional(column.rawValue, as: type)
    }
}
