/// The column names of one statement's result, shared by all its rows.
public final class SQLColumns: Sendable {
    public let names: [String]

    public init(_ names: [String]) { self.names = names }

    /// The index of `name`: exact match first, then ASCII case-insensitive (SQL names are).
    public func index(of name: String) -> Int? {
        if let index = names.firstIndex(of: name) { return index }
        let lowered = name.lowercased()
        return names.firstIndex { $0.lowercased() == lowered }
    }
}

/// One row of a result. Columns are read by name (as the statement names them) or by position;
/// reading a missing column or a value of another type throws `StorageError` `.decoding` naming
/// the column and type, never the value.
public struct SQLRow: Sendable {
    public let columns: SQLColumns
    public let values: [SQLValue]

    public init(columns: SQLColumns, values: [SQLValue]) {
        self.columns = columns
        self.values = values
    }

    /// The raw value of `column`; `.null` when the statement has no such column.
    public subscript(_ column: String) -> SQLValue {
        columns.index(of: column).map { values[$0] } ?? .null
    }

    /// The non-NULL value of `column`.
    public func value<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws(StorageError) -> T {
        guard let index = columns.index(of: column) else {
            throw StorageError(.decoding, "the result has no column \(column)")
        }
        guard let value = T.fromSQL(values[index]) else {
            throw StorageError(.decoding, "column \(column) is \(Self.kind(values[index])), not \(T.self)")
        }
        return value
    }

    /// The value of `column`, nil when it is NULL.
    public func optional<T: SQLDecodable>(_ column: String, as type: T.Type = T.self) throws(StorageError) -> T? {
        guard let index = columns.index(of: column) else {
            throw StorageError(.decoding, "the result has no column \(column)")
        }
        if case .null = values[index] { return nil }
        guard let value = T.fromSQL(values[index]) else {
            throw StorageError(.decoding, "column \(column) is \(Self.kind(values[index])), not \(T.self)")
        }
        return value
    }

    /// The non-NULL value at `position` (0-based).
    public func value<T: SQLDecodable>(at position: Int, as type: T.Type = T.self) throws(StorageError) -> T {
        guard values.indices.contains(position) else {
            throw StorageError(.decoding, "the result has no column at position \(position)")
        }
        guard let value = T.fromSQL(values[position]) else {
            throw StorageError(.decoding, "column \(position) is \(Self.kind(values[position])), not \(T.self)")
        }
        return value
    }

    /// The value at `position` (0-based), nil when it is NULL.
    public func optional<T: SQLDecodable>(at position: Int, as type: T.Type = T.self) throws(StorageError) -> T? {
        guard values.indices.contains(position) else {
            throw StorageError(.decoding, "the result has no column at position \(position)")
        }
        if case .null = values[position] { return nil }
        return try value(at: position, as: type)
    }

    static func kind(_ value: SQLValue) -> String {
        switch value {
        case .null: "NULL"
        case .integer: "an integer"
        case .real: "a real"
        case .text: "text"
        case .blob: "a blob"
        }
    }
}
