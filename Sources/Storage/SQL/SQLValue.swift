import Foundation

/// One value bound to a statement or read from a row, in the types both engines store: SQLite's
/// storage classes and PostgreSQL's `bigint`, `double precision`, `text` and `bytea`.
public enum SQLValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
}

/// A Swift type that can be bound as a statement argument.
public protocol SQLEncodable {
    var sqlValue: SQLValue { get }
}

/// A Swift type that can be read from a column. Decoding fails with a `StorageError` naming the
/// column and the type, never the value.
public protocol SQLDecodable {
    /// The value of `value`, or nil when it does not have this type (NULL included).
    static func fromSQL(_ value: SQLValue) -> Self?
}

extension SQLValue: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { self }
    public static func fromSQL(_ value: SQLValue) -> SQLValue? { value }
}

extension String: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .text(self) }
    public static func fromSQL(_ value: SQLValue) -> String? {
        if case .text(let text) = value { return text }
        return nil
    }
}

extension Int64: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .integer(self) }
    public static func fromSQL(_ value: SQLValue) -> Int64? {
        switch value {
        case .integer(let integer): return integer
        // An integral REAL (SQLite's max() of integers in a REAL column, PostgreSQL numerics).
        case .real(let real) where real.rounded() == real && abs(real) < 9.2e18: return Int64(real)
        default: return nil
        }
    }
}

extension Int: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .integer(Int64(self)) }
    public static func fromSQL(_ value: SQLValue) -> Int? { Int64.fromSQL(value).map(Int.init) }
}

extension Double: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .real(self) }
    public static func fromSQL(_ value: SQLValue) -> Double? {
        switch value {
        case .real(let real): return real
        case .integer(let integer): return Double(integer)
        default: return nil
        }
    }
}

/// Booleans are stored as the integers 0 and 1 on both engines (the schemas declare them
/// `INTEGER`), so the same comparisons (`active = 1`) run on both.
extension Bool: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .integer(self ? 1 : 0) }
    public static func fromSQL(_ value: SQLValue) -> Bool? { Int64.fromSQL(value).map { $0 != 0 } }
}

extension Data: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .blob(self) }
    public static func fromSQL(_ value: SQLValue) -> Data? {
        if case .blob(let data) = value { return data }
        return nil
    }
}

/// Instants are stored as seconds since 1970 (`REAL` / `double precision`).
extension Date: SQLEncodable, SQLDecodable {
    public var sqlValue: SQLValue { .real(timeIntervalSince1970) }
    public static func fromSQL(_ value: SQLValue) -> Date? { Double.fromSQL(value).map(Date.init(timeIntervalSince1970:)) }
}

extension Optional: SQLEncodable where Wrapped: SQLEncodable {
    public var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

/// The arguments of one statement, written as an array literal of encodable values and nils:
/// `[id, name, nil]`.
public struct SQLArguments: Sendable, ExpressibleByArrayLiteral {
    public var values: [SQLValue]

    public init(_ values: [SQLValue]) { self.values = values }

    public init(arrayLiteral elements: (any SQLEncodable)?...) {
        values = elements.map { $0?.sqlValue ?? .null }
    }

    /// Appends one argument (statements built from a variable list).
    public mutating func append(_ value: (any SQLEncodable)?) { values.append(value?.sqlValue ?? .null) }

    /// Appends the arguments of `other`.
    public mutating func append(contentsOf other: SQLArguments) { values.append(contentsOf: other.values) }
}
