import Storage

/// One row of the `person` table, and every statement on it. The national number is an
/// attribute of the person, stored here only (§6.1); everything else refers to `id`.
struct PersonRecord {
    enum Column: String, SQLColumnList {
        case id, insz
        case givenName = "given_name"
        case familyName = "family_name"
        case createdAt = "created_at"
    }

    /// Nil until inserted.
    var id: Int64?
    var insz: String
    var givenName: String?
    var familyName: String?
    /// ISO instant.
    var createdAt: String

    init(id: Int64? = nil, insz: String, givenName: String?, familyName: String?, createdAt: String) {
        self.id = id
        self.insz = insz
        self.givenName = givenName
        self.familyName = familyName
        self.createdAt = createdAt
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        insz = try row.value(Column.insz)
        givenName = try row.optional(Column.givenName)
        familyName = try row.optional(Column.familyName)
        createdAt = try row.value(Column.createdAt)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments { [insz, givenName, familyName, createdAt] }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "person", returning: .id)
    /// With the id given (the benchmark's synthetic data).
    static let insertWithIDSQL = Column.insert(into: "person")

    /// Inserts a new person; returns the generated id.
    static func insert(_ record: PersonRecord, in db: SQLConnection) throws(StorageError) -> PersonID {
        PersonID(try db.insertReturningID(insertSQL, record.arguments))
    }

    /// The person with national number `insz` (11 digits).
    static func id(insz: String, in db: SQLConnection) throws(StorageError) -> PersonID? {
        try db.value("SELECT id FROM person WHERE insz = ?", [insz], as: Int64.self).map(PersonID.init)
    }

    /// The names of person `id`.
    static func person(_ id: PersonID, in db: SQLConnection) throws(StorageError) -> Person? {
        try db.row("SELECT given_name, family_name FROM person WHERE id = ?", [id.rawValue]).map { row throws(StorageError) in
            Person(id: id, givenName: try row.optional(Column.givenName), familyName: try row.optional(Column.familyName))
        }
    }

    /// Sets the names that are given, keeps the others.
    static func fillNames(_ id: PersonID, givenName: String?, familyName: String?, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE person SET given_name = COALESCE(?, given_name), family_name = COALESCE(?, family_name) WHERE id = ?",
                       [givenName, familyName, id.rawValue])
    }

    static func count(in db: SQLConnection) throws(StorageError) -> Int {
        try db.value("SELECT count(*) FROM person") ?? 0
    }
}
