import Foundation
import GRDB

/// The database service: SQLite through GRDB. A file database is a `DatabasePool` in WAL mode
/// (parallel reads, one writer); an in-memory database (tests) is a `DatabaseQueue`.
///
/// Writes run in an immediate transaction, so a check followed by a write inside one `write`
/// closure is serialised against every other writer (INV-11 of the rights spec).
///
/// Closures get a ``SQLConnection``, the engine-neutral surface the modules' table code is
/// written against; PostgreSQL (several instances, issue 24) comes behind the same surface.
public final class Database: Sendable {
    /// The file path, or nil in memory.
    public let path: String?
    /// The engine behind this database.
    public var engine: SQLEngine { .sqlite }
    private let writer: any DatabaseWriter

    /// Opens (creating if needed) a database file in WAL mode and applies the migrations.
    public static func open(path: String, migrations: MigrationRegistry) throws(StorageError) -> Database {
        let database: Database
        do {
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let pool = try DatabasePool(path: path, configuration: Database.configuration())
            database = Database(path: path, writer: pool)
        } catch let error as DatabaseError {
            throw StorageError(.open, "cannot open database file: \(StorageError.from(error).reason)")
        } catch {
            throw StorageError(.open, "cannot open database file: \(error)")
        }
        try database.migrate(migrations)
        return database
    }

    /// An in-memory database with the migrations applied (tests, dry runs).
    public static func inMemory(migrations: MigrationRegistry) throws(StorageError) -> Database {
        let database: Database
        do {
            database = Database(path: nil, writer: try DatabaseQueue(configuration: Database.configuration()))
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        } catch {
            throw StorageError(.open, "\(error)")
        }
        try database.migrate(migrations)
        return database
    }

    private init(path: String?, writer: any DatabaseWriter) {
        self.path = path
        self.writer = writer
    }

    /// Bytes of the database file each pool reader maps (asks for 8 GiB; SQLite caps it at its
    /// compile-time maximum, 2 GiB in Debian's build). Pages beyond it are read with pread.
    static let readerMemoryMap = 1 << 33

    private static func configuration() -> Configuration {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.publicStatementArguments = false  // never put bound values in errors or traces
        configuration.busyMode = .timeout(10)
        configuration.label = "sleutel"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            if db.configuration.readonly {
                // Pool readers map the file instead of copying pages with pread: resolution reads
                // a few dozen pages per request (Benchmarks/rights.md). Address space only; the
                // pages are the OS page cache, shared by all connections.
                try db.execute(sql: "PRAGMA mmap_size = \(Database.readerMemoryMap)")
            }
        }
        return configuration
    }

    private func migrate(_ registry: MigrationRegistry) throws(StorageError) {
        do {
            try registry.migrator.migrate(writer)
        } catch let error as DatabaseError {
            throw StorageError(.migration, StorageError.from(error).reason)
        } catch {
            throw StorageError(.migration, "\(error)")
        }
    }

    /// Runs `body` in a read-only snapshot.
    public func read<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        do { return try writer.read { db in try body(SQLConnection(db)) } } catch let error as DatabaseError { throw StorageError.from(error) }
    }

    /// Runs `body` in one immediate write transaction: everything or nothing is written.
    /// Errors thrown by `body` roll the transaction back and are rethrown unchanged; SQLite
    /// errors become `StorageError`.
    @discardableResult
    public func write<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        do { return try writer.write { db in try body(SQLConnection(db)) } } catch let error as DatabaseError { throw StorageError.from(error) }
    }

    /// Runs `body` outside of a transaction, for work that manages its own transactions
    /// (bulk imports committing in batches).
    @discardableResult
    public func writeWithoutTransaction<T>(_ body: (SQLConnection) throws -> T) throws -> T {
        do { return try writer.writeWithoutTransaction { db in try body(SQLConnection(db)) } } catch let error as DatabaseError {
            throw StorageError.from(error)
        }
    }

    /// Whether the database answers a trivial query (for health endpoints).
    public func isReachable() -> Bool {
        (try? writer.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    /// What SQLite finds wrong with the file: the lines of `PRAGMA integrity_check` other than
    /// "ok", then one line per row of `PRAGMA foreign_key_check` (table, rowid, parent table).
    /// Empty when the database is sound. Row contents are never included.
    public func integrityProblems() throws -> [String] {
        do {
            return try writer.read { db in
                let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check").filter { $0 != "ok" }
                let foreignKeys = try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").map { row -> String in
                    let table: String = row[0], parent: String = row[2]
                    let rowid: Int64? = row[1]
                    return "foreign key: \(table) row \(rowid.map(String.init) ?? "?") refers to a missing \(parent) row"
                }
                return integrity + foreignKeys
            }
        } catch let error as DatabaseError {
            throw StorageError.from(error)
        }
    }

    /// Truncates the WAL file (after a bulk import).
    public func checkpoint() throws {
        do { _ = try writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) } } catch let error as DatabaseError {
            throw StorageError.from(error)
        }
    }
}
