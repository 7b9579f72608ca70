import Storage

/// One row of `work_relation`: a werkrelatie between a person and an organisation (§6). Both
/// dates are required (INV-6); ended by a date or revoked, never deleted.
struct WorkRelationRecord {
    enum Column: String, SQLColumnList {
        case id
        case personID = "person_id"
        case organisation
        case targetGroup = "target_group"
        case category, phone, email
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case reason
        case createdBy = "created_by"
        case createdVia = "created_via"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
    }

    /// Nil until inserted.
    var id: Int64?
    var personID: PersonID
    var organisation: String
    var targetGroup: String
    var category: String
    var phone: String
    var email: String
    var validFrom: LocalDate
    var validUntil: LocalDate
    var reason: String?
    var createdBy: PersonID?
    var createdVia: String
    /// ISO instants.
    var createdAt: String
    var revokedAt: String?
    var revokedBy: PersonID?

    init(id: Int64? = nil, personID: PersonID, organisation: String, targetGroup: String, category: String, phone: String, email: String,
         validFrom: LocalDate, validUntil: LocalDate, reason: String?, createdBy: PersonID?, createdVia: String, createdAt: String) {
        self.id = id
        self.personID = personID
        self.organisation = organisation
        self.targetGroup = targetGroup
        self.category = category
        self.phone = phone
        self.email = email
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.reason = reason
        self.createdBy = createdBy
        self.createdVia = createdVia
        self.createdAt = createdAt
        self.revokedAt = nil
        self.revokedBy = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        personID = PersonID(try row.value(Column.personID))
        organisation = try row.value(Column.organisation)
        targetGroup = try row.value(Column.targetGroup)
        category = try row.value(Column.category)
        phone = try row.value(Column.phone)
        email = try row.value(Column.email)
        validFrom = try row.day(Column.validFrom)
        validUntil = try row.day(Column.validUntil)
        reason = try row.optional(Column.reason)
        createdBy = try row.optional(Column.createdBy, as: Int64.self).map(PersonID.init)
        createdVia = try row.value(Column.createdVia)
        createdAt = try row.value(Column.createdAt)
        revokedAt = try row.optional(Column.revokedAt)
        revokedBy = try row.optional(Column.revokedBy, as: Int64.self).map(PersonID.init)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments {
        [personID.rawValue, organisation, targetGroup, category, phone, email, validFrom.iso, validUntil.iso, reason, createdBy?.rawValue,
         createdVia, createdAt, revokedAt, revokedBy?.rawValue]
    }

    var validity: Validity { Validity(from: validFrom, until: validUntil) }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "work_relation", returning: .id)
    private static let selectSQL = Column.select(from: "work_relation")
    /// With the id given (the benchmark's synthetic data): arguments `[id]` + ``arguments``.
    static let insertWithIDSQL = Column.insert(into: "work_relation")

    /// Inserts a werkrelatie; returns its id.
    static func insert(_ record: WorkRelationRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    static func find(id: Int64, in db: SQLConnection) throws(StorageError) -> WorkRelationRecord? {
        try db.row(selectSQL + " WHERE id = ?", [id]).map { row throws(StorageError) in try WorkRelationRecord(row: row) }
    }

    /// The unrevoked werkrelatie of `person` with `organisation` that is not over on `day` and
    /// overlaps `from…until`, the one lasting longest (what a new grant rests on).
    static func forGrant(person: PersonID, organisation: String, on day: LocalDate, from: LocalDate, until: LocalDate,
                         in db: SQLConnection) throws(StorageError) -> WorkRelationRecord? {
        try db.row(selectSQL + """
             WHERE person_id = ? AND organisation = ? AND revoked_at IS NULL AND valid_until >= ?
              AND valid_from <= ? AND valid_until >= ?
            ORDER BY valid_until DESC LIMIT 1
            """, [person.rawValue, organisation, day.iso, until.iso, from.iso]).map { row throws(StorageError) in
            try WorkRelationRecord(row: row)
        }
    }

    static func setValidUntil(id: Int64, _ lastDay: LocalDate, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE work_relation SET valid_until = ? WHERE id = ?", [lastDay.iso, id])
    }

    static func revoke(id: Int64, at instant: String, by person: PersonID, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE work_relation SET revoked_at = ?, revoked_by = ? WHERE id = ?", [instant, person.rawValue, id])
    }

    /// Every werkrelatie of `person`, oldest first (Mijn Profiel).
    static func all(of person: PersonID, in db: SQLConnection) throws(StorageError) -> [WorkRelationRecord] {
        try db.rows(selectSQL + " WHERE person_id = ? ORDER BY valid_from", [person.rawValue]).map { row throws(StorageError) in
            try WorkRelationRecord(row: row)
        }
    }
}
