import Storage

/// One row of `legal_representative`: a WV mandate from the representatives feed (KBO Open Data
/// lacks them, §4), keyed by organisation, person, function and start date. Mandates end, they
/// are never deleted.
struct LegalRepresentativeRecord {
    enum Column: String, SQLColumnList {
        case id
        case personID = "person_id"
        case organisation, function
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case source
        case importedAt = "imported_at"
    }

    /// Nil until inserted.
    var id: Int64?
    var personID: PersonID
    var organisation: String
    var function: String
    var validFrom: LocalDate
    var validUntil: LocalDate?
    var source: String
    /// ISO instant.
    var importedAt: String

    init(personID: PersonID, organisation: String, function: String, validFrom: LocalDate, validUntil: LocalDate?, source: String,
         importedAt: String) {
        self.id = nil
        self.personID = personID
        self.organisation = organisation
        self.function = function
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.source = source
        self.importedAt = importedAt
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        personID = PersonID(try row.value(Column.personID))
        organisation = try row.value(Column.organisation)
        function = try row.value(Column.function)
        validFrom = try row.day(Column.validFrom)
        validUntil = try row.optionalDay(Column.validUntil)
        source = try row.value(Column.source)
        importedAt = try row.value(Column.importedAt)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments { [personID.rawValue, organisation, function, validFrom.iso, validUntil?.iso, source, importedAt] }

    var validity: Validity { Validity(from: validFrom, until: validUntil) }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "legal_representative", returning: .id)
    /// Without returning the id, for bulk loads (the benchmark's synthetic data).
    static let bulkInsertSQL = Column.insert(into: "legal_representative", omitting: .id)
    private static let selectSQL = Column.select(from: "legal_representative")

    /// Inserts a mandate; returns its id.
    static func insert(_ record: LegalRepresentativeRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    static func find(id: Int64, in db: SQLConnection) throws(StorageError) -> LegalRepresentativeRecord? {
        try db.row(selectSQL + " WHERE id = ?", [id]).map { row throws(StorageError) in try LegalRepresentativeRecord(row: row) }
    }

    /// The mandate with this key.
    static func find(organisation: String, person: PersonID, function: String, validFrom: LocalDate,
                     in db: SQLConnection) throws(StorageError) -> LegalRepresentativeRecord? {
        try db.row(selectSQL + " WHERE organisation = ? AND person_id = ? AND function = ? AND valid_from = ?",
                   [organisation, person.rawValue, function, validFrom.iso]).map { row throws(StorageError) in
            try LegalRepresentativeRecord(row: row)
        }
    }

    /// Sets the end of a mandate and when the feed last changed it.
    static func setValidUntil(id: Int64, _ validUntil: LocalDate?, importedAt: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE legal_representative SET valid_until = ?, imported_at = ? WHERE id = ?", [validUntil?.iso, importedAt, id])
    }

    /// Ends a mandate on `lastDay`.
    static func end(id: Int64, on lastDay: LocalDate, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE legal_representative SET valid_until = ? WHERE id = ?", [lastDay.iso, id])
    }

    /// The mandates from `source` still open on `day` (not ended before it).
    static func openIDs(source: String, on day: LocalDate, in db: SQLConnection) throws(StorageError) -> [Int64] {
        try db.values("SELECT id FROM legal_representative WHERE source = ? AND (valid_until IS NULL OR valid_until >= ?)", [source, day.iso])
    }

    /// The mandates `person` holds for `organisation` on `day` (authority checks).
    static func currentIDs(person: PersonID, organisation: String, on day: LocalDate, in db: SQLConnection) throws(StorageError) -> [Int64] {
        try db.values("""
            SELECT id FROM legal_representative WHERE person_id = ? AND organisation = ?
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """, [person.rawValue, organisation, day.iso, day.iso])
    }

    /// Every mandate of `person`, oldest first (Mijn Profiel).
    static func all(of person: PersonID, in db: SQLConnection) throws(StorageError) -> [LegalRepresentativeRecord] {
        try db.rows(selectSQL + " WHERE person_id = ? ORDER BY valid_from", [person.rawValue]).map { row throws(StorageError) in
            try LegalRepresentativeRecord(row: row)
        }
    }
}
