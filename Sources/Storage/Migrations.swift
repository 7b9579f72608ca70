import GRDB

/// One migration contributed by a module: an identifier unique across the whole program
/// (prefix it with the module name, e.g. `"rights.v1"`) and the schema change.
public struct StorageMigration: Sendable {
    public let identifier: String
    public let migrate: @Sendable (SQLConnection) throws -> Void

    public init(_ identifier: String, migrate: @escaping @Sendable (SQLConnection) throws -> Void) {
        self.identifier = identifier
        self.migrate = migrate
    }
}

/// The migrations of all modules, applied in registration order. Each module exposes a static
/// list (`RightsSchema.migrations`); the program registers the lists of the modules it uses.
public struct MigrationRegistry: Sendable {
    public private(set) var migrations: [StorageMigration] = []

    public init() {}

    public init(_ lists: [StorageMigration]...) {
        for list in lists { register(list) }
    }

    /// Adds migrations. Identifiers must be unique; a duplicate is a programming error.
    public mutating func register(_ list: [StorageMigration]) {
        for migration in list {
            precondition(!migrations.contains { $0.identifier == migration.identifier },
                         "duplicate migration \(migration.identifier)")
            migrations.append(migration)
        }
    }

    var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in migrations {
            migrator.registerMigration(migration.identifier) { db in try migration.migrate(SQLConnection(db)) }
        }
        return migrator
    }
}
