import Foundation
import GRDB

/// The database engine behind a connection. Domain SQL is written once for both; only schema
/// DDL and maintenance (bulk-load tuning, integrity checks) may look at the engine.
public enum SQLEngine: Sendable, Equatable {
    case sqlite
    case postgresql
}

/// The connection a `Database.read`/`write` closure works with: plain SQL with `?` placeholders
/// and typed rows, the same surface on every engine.
///
/// Write statements both engines accept: `INSERT … ON CONFLICT … DO UPDATE/NOTHING`,
/// `RETURNING`, `COALESCE`, `substr`, `lower`; no `INSERT OR …`, `IFNULL`, `GROUP_CONCAT`,
/// two-argument `max`/`min`, `rowid` or date functions in domain code. Instants are bound as
/// seconds since 1970 (`Date` does it), booleans as 0/1.
///
/// Single statements are prepared once per connection and reused (statement cache), so a
/// statement text should not embed values: bind them.
public struct SQLConnection {
    let db: GRDB.Database

    init(_ db: GRDB.Database) { self.db = db }

    /// The engine behind this connection.
    public var engine: SQLEngine { .sqlite }

    /// Runs one statement; returns the number of rows it inserted, updated or deleted.
    @discardableResult
    public func execute(_ sql: String, _ arguments: SQLArguments = []) throws(StorageError) -> Int {
        do {
            try db.cachedStatement(sql: sql).execute(arguments: Self.arguments(arguments))
            return db.changesCount
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        } catch {
            throw StorageError(.query, "\(error)")
        }
    }

    /// The rows of one query (or of a write with `RETURNING`).
    public func rows(_ sql: String, _ arguments: SQLArguments = []) throws(StorageError) -> [SQLRow] {
        var rows: [SQLRow] = []
        do {
            try forEach(sql, arguments) { rows.append($0) }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.query, "\(error)")
        }
        return rows
    }

    /// The first row of one query, nil when it returns none.
    public func row(_ sql: String, _ arguments: SQLArguments = []) throws(StorageError) -> SQLRow? {
        var first: SQLRow?
        do {
            try forEach(sql, arguments, limit: 1) { first = $0 }
        } catch let error as StorageError {
            throw error
        } catch {
            throw StorageError(.query, "\(error)")
        }
        return first
    }

    /// The first column of the first row, nil when there is no row or the value is NULL.
    public func value<T: SQLDecodable>(_ sql: String, _ arguments: SQLArguments = [], as type: T.Type = T.self) throws(StorageError) -> T? {
        guard let row = try row(sql, arguments) else { return nil }
        return try row.optional(at: 0, as: type)
    }

    /// The first column of every row (NULLs are a decoding error).
    public func values<T: SQLDecodable>(_ sql: String, _ arguments: SQLArguments = [], as type: T.Type = T.self) throws(StorageError) -> [T] {
        try rows(sql, arguments).map { row throws(StorageError) in try row.value(at: 0, as: type) }
    }

    /// Calls `body` with each row as it is read, without holding the whole result (large reports,
    /// exports). Errors thrown by `body` stop the query and are rethrown unchanged.
    public func forEach(_ sql: String, _ arguments: SQLArguments = [], _ body: (SQLRow) throws -> Void) throws {
        try forEach(sql, arguments, limit: nil, body)
    }

    private func forEach(_ sql: String, _ arguments: SQLArguments, limit: Int?, _ body: (SQLRow) throws -> Void) throws {
        let statement: GRDB.Statement
        let cursor: RowCursor
        do {
            statement = try db.cachedStatement(sql: sql)
            cursor = try Row.fetchCursor(statement, arguments: Self.arguments(arguments))
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        }
        let columns = SQLColumns(statement.columnNames)
        var count = 0
        while true {
            let next: Row?
            do { next = try cursor.next() } catch let error as DatabaseError { throw StorageError.from(error) }
            guard let next else { return }
            try body(SQLRow(columns: columns, values: Self.values(next)))
            count += 1
            if let limit, count >= limit { return }
        }
    }

    /// Prepares a statement to run many times in a loop (bulk imports).
    public func prepare(_ sql: String) throws(StorageError) -> SQLStatement {
        do {
            return SQLStatement(statement: try db.makeStatement(sql: sql), db: db)
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        } catch {
            throw StorageError(.query, "\(error)")
        }
    }

    /// Runs several statements without arguments (schema changes in migrations).
    public func executeScript(_ sql: String) throws(StorageError) {
        do {
            try db.execute(sql: sql)
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        } catch {
            throw StorageError(.query, "\(error)")
        }
    }

    /// Runs `body` in a transaction of its own, committed when it returns (inside
    /// `Database.writeWithoutTransaction`, for work committing in batches). An error rolls the
    /// batch back and is rethrown.
    public func transaction(_ body: () throws -> Void) throws {
        do {
            try db.inTransaction {
                try body()
                return .commit
            }
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        }
    }

    static func arguments(_ arguments: SQLArguments) -> StatementArguments {
        StatementArguments(arguments.values.map { value -> DatabaseValue in
            switch value {
            case .null: DatabaseValue.null
            case .integer(let integer): integer.databaseValue
            case .real(let real): real.databaseValue
            case .text(let text): text.databaseValue
            case .blob(let data): data.databaseValue
            }
        })
    }

    static func values(_ row: Row) -> [SQLValue] {
        var values: [SQLValue] = []
        values.reserveCapacity(row.count)
        for index in 0..<row.count {
            let value: DatabaseValue = row[index]
            switch value.storage {
            case .null: values.append(.null)
            case .int64(let integer): values.append(.integer(integer))
            case .double(let real): values.append(.real(real))
            case .string(let text): values.append(.text(text))
            case .blob(let data): values.append(.blob(data))
            }
        }
        return values
    }
}

/// A statement prepared once and run many times (``SQLConnection/prepare(_:)``).
public struct SQLStatement {
    let statement: GRDB.Statement
    let db: GRDB.Database

    /// Runs the statement with `arguments`; returns the number of rows changed.
    @discardableResult
    public func execute(_ arguments: SQLArguments) throws(StorageError) -> Int {
        do {
            try statement.execute(arguments: SQLConnection.arguments(arguments))
            return db.changesCount
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        } catch {
            throw StorageError(.query, "\(error)")
        }
    }
}
