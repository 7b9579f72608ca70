import Foundation
import Storage
import Testing

@Suite("Storage: the SQL seam")
struct SQLConnectionTests {
    static let schema = MigrationRegistry([
        StorageMigration("test.v1") { db in
            try db.executeScript("""
                CREATE TABLE item (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE,
                    weight REAL,
                    payload BLOB,
                    active INTEGER NOT NULL DEFAULT 1
                ) STRICT;
                CREATE TRIGGER item_no_heavy BEFORE INSERT ON item WHEN NEW.name = 'heavy' AND NEW.weight > 100
                BEGIN SELECT RAISE(ABORT, 'item.tooHeavy'); END;
                """)
        },
    ])

    enum Column: String, SQLColumnList {
        case id, name, weight, payload, active
    }

    func database() throws -> Database { try Database.inMemory(migrations: Self.schema) }

    @Test("values of every type round-trip, NULL included")
    func roundTrip() throws {
        let db = try database()
        let instant = Date(timeIntervalSince1970: 1_765_000_000.25)
        try db.write { db in
            try db.execute(Column.insert(into: "item"), [1, "één", 2.5, Data([0, 1, 255]), true])
            try db.execute(Column.insert(into: "item"), [2, "empty", nil, nil, false])
            try db.execute("INSERT INTO item (id, name, weight) VALUES (?, ?, ?)", [3, "when", instant])
        }
        let rows = try db.read { db in try db.rows(Column.select(from: "item") + " ORDER BY id") }
        #expect(rows.count == 3)
        #expect(try rows[0].value(Column.name) == "één")
        #expect(try rows[0].value(Column.weight) == 2.5)
        #expect(try rows[0].value(Column.payload) == Data([0, 1, 255]))
        #expect(try rows[0].value(Column.active) == true)
        #expect(try rows[1].optional(Column.weight, as: Double.self) == nil)
        #expect(try rows[1].value(Column.active) == false)
        #expect(try rows[2].value(Column.weight, as: Date.self) == instant)
        #expect(try db.read { db in try db.values("SELECT id FROM item ORDER BY id", as: Int.self) } == [1, 2, 3])
        #expect(try db.read { db in try db.value("SELECT weight FROM item WHERE id = ?", [2], as: Double.self) } == nil)
        #expect(try db.read { db in try db.value("SELECT weight FROM item WHERE id = ?", [99], as: Double.self) } == nil)
    }

    @Test("a value of another type or a missing column is a decoding error naming the column, not the value")
    func decodingErrors() throws {
        let db = try database()
        try db.write { db in try db.execute("INSERT INTO item (id, name) VALUES (1, 'secret-value')") }
        let row = try #require(try db.read { db in try db.row("SELECT id, name, weight FROM item") })
        #expect(throws: StorageError(.decoding, "")) { try row.value(Column.name, as: Int.self) }
        #expect(throws: StorageError(.decoding, "")) { try row.value(Column.weight, as: Double.self) }
        #expect(throws: StorageError(.decoding, "")) { try row.value(Column.payload, as: Data.self) }
        do {
            _ = try row.value(Column.name, as: Data.self)
            Issue.record("text read as a blob")
        } catch {
            #expect(error.reason.contains("name"))
            #expect(!error.reason.contains("secret-value"))
        }
    }

    @Test("execute counts changed rows; RETURNING and ON CONFLICT run as on PostgreSQL")
    func changesReturningUpsert() throws {
        let db = try database()
        let id = try db.write { db in
            try db.value("INSERT INTO item (name, weight) VALUES (?, ?) RETURNING id", ["a", 1.0], as: Int.self)
        }
        #expect(id == 1)
        let upsert = "INSERT INTO item (name, weight) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET weight = excluded.weight"
        try db.write { db in
            try db.execute(upsert, ["a", 7.0])
            try db.execute(upsert, ["b", 3.0])
            #expect(try db.execute("INSERT INTO item (name) VALUES (?) ON CONFLICT (name) DO NOTHING", ["a"]) == 0)
            #expect(try db.execute("UPDATE item SET active = 0 WHERE weight > ?", [2.0]) == 2)
        }
        #expect(try db.read { db in try db.value("SELECT weight FROM item WHERE name = 'a'", as: Double.self) } == 7)
        #expect(try db.read { db in try db.value("SELECT count(*) FROM item", as: Int.self) } == 2)
    }

    @Test("constraint failures are typed and carry a trigger's message; the write is rolled back whole")
    func constraints() throws {
        let db = try database()
        #expect(throws: StorageError(.constraint, "")) {
            try db.write { db in
                try db.execute("INSERT INTO item (name) VALUES ('x')")
                try db.execute("INSERT INTO item (name) VALUES ('x')")
            }
        }
        do {
            try db.write { db in try db.execute("INSERT INTO item (name, weight) VALUES ('heavy', 500)") }
            Issue.record("the trigger did not refuse")
        } catch let error as StorageError {
            #expect(error.code == .constraint)
            #expect(error.constraintMessage == "item.tooHeavy")
        }
        #expect(try db.read { db in try db.value("SELECT count(*) FROM item", as: Int.self) } == 0)
    }

    @Test("forEach streams rows and an error from the body stops the query and undoes the write")
    func streaming() throws {
        struct Stop: Error {}
        let db = try database()
        try db.write { db in
            let insert = try db.prepare("INSERT INTO item (name, weight) VALUES (?, ?)")
            for i in 0..<100 { try insert.execute(["n\(i)", Double(i)]) }
        }
        var seen = 0
        #expect(throws: Stop.self) {
            try db.write { db in
                try db.execute("DELETE FROM item WHERE weight < 50")
                try db.forEach("SELECT name FROM item ORDER BY weight") { _ in
                    seen += 1
                    if seen == 10 { throw Stop() }
                }
            }
        }
        #expect(seen == 10)
        #expect(try db.read { db in try db.value("SELECT count(*) FROM item", as: Int.self) } == 100)
    }

    @Test("batches commit one by one outside a transaction; a failing batch leaves the earlier ones")
    func batches() throws {
        let db = try database()
        #expect(throws: StorageError(.constraint, "")) {
            try db.writeWithoutTransaction { db in
                try db.transaction { try db.execute("INSERT INTO item (name) VALUES ('first')") }
                try db.transaction {
                    try db.execute("INSERT INTO item (name) VALUES ('second')")
                    try db.execute("INSERT INTO item (name) VALUES ('first')")
                }
            }
        }
        #expect(try db.read { db in try db.values("SELECT name FROM item", as: String.self) } == ["first"])
    }

    @Test("a file database keeps its rows and migrations across opens and is sound")
    func fileDatabase() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("storage-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("test.sqlite").path
        do {
            let db = try Database.open(path: path, migrations: Self.schema)
            try db.write { db in try db.execute("INSERT INTO item (name) VALUES (?)", ["kept"]) }
            #expect(db.engine == .sqlite)
        }
        let again = try Database.open(path: path, migrations: Self.schema)
        #expect(try again.read { db in try db.value("SELECT name FROM item", as: String.self) } == "kept")
        #expect(try again.integrityProblems().isEmpty)
        #expect(again.isReachable())
    }
}
