import Storage

/// One row of the `establishment` table (an establishment unit of an enterprise), and every
/// statement on it. Like organisations, units are never deleted, only made inactive.
struct EstablishmentRecord {
    enum Column: String, SQLColumnList {
        case number, enterprise
        case startDate = "start_date"
        case lastSeenExtract = "last_seen_extract"
        case active
    }

    var number: String
    var enterprise: String
    /// ISO day.
    var startDate: String?
    var lastSeenExtract: Int?
    var active: Bool

    init(number: String, enterprise: String, startDate: String?, lastSeenExtract: Int?, active: Bool = true) {
        self.number = number
        self.enterprise = enterprise
        self.startDate = startDate
        self.lastSeenExtract = lastSeenExtract
        self.active = active
    }

    init(row: SQLRow) throws(StorageError) {
        number = try row.value(Column.number)
        enterprise = try row.value(Column.enterprise)
        startDate = try row.optional(Column.startDate)
        lastSeenExtract = try row.optional(Column.lastSeenExtract)
        active = try row.value(Column.active)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [number, enterprise, startDate, lastSeenExtract, active] }

    // MARK: - Statements

    static let insertSQL = Column.insert(into: "establishment")

    /// The KBO import's upsert of one unit: replaced and active again.
    static let upsertFromExtractSQL = insertSQL + """
         ON CONFLICT (number) DO UPDATE SET enterprise = excluded.enterprise, start_date = excluded.start_date,
          last_seen_extract = excluded.last_seen_extract, active = 1
        """

    /// `UPDATE … SET active = 0` of one unit (argument: the number), for the update import.
    static let deactivateSQL = "UPDATE establishment SET active = 0 WHERE number = ?"

    /// Whether `number` is an active establishment unit of `enterprise`.
    static func isActive(_ number: String, of enterprise: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT active FROM establishment WHERE number = ? AND enterprise = ?", [number, enterprise], as: Bool.self) ?? false
    }

    /// The active units of `enterprise`, by number.
    static func activeNumbers(of enterprise: String, in db: SQLConnection) throws(StorageError) -> [String] {
        try db.values("SELECT number FROM establishment WHERE enterprise = ? AND active = 1 ORDER BY number", [enterprise])
    }

    /// Adds a unit by hand or updates its enterprise and active flag.
    static func register(_ number: String, of enterprise: String, active: Bool, in db: SQLConnection) throws(StorageError) {
        try db.execute("""
            INSERT INTO establishment (number, enterprise, active) VALUES (?, ?, ?)
            ON CONFLICT (number) DO UPDATE SET enterprise = excluded.enterprise, active = excluded.active
            """, [number, enterprise, active])
    }

    /// Marks inactive the units seen in an earlier extract but not in `extract`; returns how many.
    static func deactivate(notSeenIn extract: Int, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("UPDATE establishment SET active = 0 WHERE active = 1 AND last_seen_extract IS NOT NULL AND last_seen_extract <> ?",
                       [extract])
    }
}
