import Storage

/// One row of `appointment`: a manager role given to a person for an organisation (§2, §3).
/// Ended by a date or revoked; never deleted.
struct AppointmentRecord {
    enum Column: String, SQLColumnList {
        case id
        case personID = "person_id"
        case organisation, role, capacity
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case source
        case appointedBy = "appointed_by"
        case appointedVia = "appointed_via"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
    }

    /// Nil until inserted.
    var id: Int64?
    var personID: PersonID
    var organisation: String
    /// A `ManagerRole` raw value.
    var role: String
    /// The Hoedanigheid of a federal local administrator.
    var capacity: String?
    var validFrom: LocalDate
    var validUntil: LocalDate?
    var source: String
    var appointedBy: PersonID?
    var appointedVia: String?
    /// ISO instants.
    var createdAt: String
    var revokedAt: String?
    var revokedBy: PersonID?

    init(personID: PersonID, organisation: String, role: String, capacity: String?, validFrom: LocalDate, validUntil: LocalDate?,
         source: String, appointedBy: PersonID?, appointedVia: String?, createdAt: String) {
        self.id = nil
        self.personID = personID
        self.organisation = organisation
        self.role = role
        self.capacity = capacity
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.source = source
        self.appointedBy = appointedBy
        self.appointedVia = appointedVia
        self.createdAt = createdAt
        self.revokedAt = nil
        self.revokedBy = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        personID = PersonID(try row.value(Column.personID))
        organisation = try row.value(Column.organisation)
        role = try row.value(Column.role)
        capacity = try row.optional(Column.capacity)
        validFrom = try row.day(Column.validFrom)
        validUntil = try row.optionalDay(Column.validUntil)
        source = try row.value(Column.source)
        appointedBy = try row.optional(Column.appointedBy, as: Int64.self).map(PersonID.init)
        appointedVia = try row.optional(Column.appointedVia)
        createdAt = try row.value(Column.createdAt)
        revokedAt = try row.optional(Column.revokedAt)
        revokedBy = try row.optional(Column.revokedBy, as: Int64.self).map(PersonID.init)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments {
        [personID.rawValue, organisation, role, capacity, validFrom.iso, validUntil?.iso, source, appointedBy?.rawValue, appointedVia,
         createdAt, revokedAt, revokedBy?.rawValue]
    }

    var validity: Validity { Validity(from: validFrom, until: validUntil) }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "appointment", returning: .id)
    /// Without returning the id, for bulk loads (the benchmark's synthetic data).
    static let bulkInsertSQL = Column.insert(into: "appointment", omitting: .id)
    private static let selectSQL = Column.select(from: "appointment")

    /// Inserts an appointment; returns its id.
    static func insert(_ record: AppointmentRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    static func find(id: Int64, in db: SQLConnection) throws(StorageError) -> AppointmentRecord? {
        try db.row(selectSQL + " WHERE id = ?", [id]).map { row throws(StorageError) in try AppointmentRecord(row: row) }
    }

    /// What authority checks read of an appointment in force.
    struct Current {
        let id: Int64
        let role: String
        let appointedBy: Int64?
        let capacity: String?
    }

    /// The unrevoked appointments `person` holds for `organisation` on `day`.
    static func current(person: PersonID, organisation: String, on day: LocalDate, in db: SQLConnection) throws(StorageError) -> [Current] {
        try db.rows("""
            SELECT id, role, appointed_by, capacity FROM appointment WHERE person_id = ? AND organisation = ? AND revoked_at IS NULL
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """, [person.rawValue, organisation, day.iso, day.iso]).map { row throws(StorageError) in
            Current(id: try row.value(Column.id), role: try row.value(Column.role), appointedBy: try row.optional(Column.appointedBy),
                    capacity: try row.optional(Column.capacity))
        }
    }

    /// The unrevoked appointments of `organisation` in force on `day`, by id (the organisation report).
    static func current(organisation: String, on day: LocalDate, in db: SQLConnection) throws(StorageError) -> [AppointmentRecord] {
        try db.rows(selectSQL + """
             WHERE organisation = ? AND revoked_at IS NULL AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?) ORDER BY id
            """, [organisation, day.iso, day.iso]).map { row throws(StorageError) in try AppointmentRecord(row: row) }
    }

    /// Whether `person` has an unrevoked appointment in `role` (and `capacity`) for `organisation`
    /// overlapping `validFrom…validUntil` (nil: open-ended).
    static func overlaps(person: PersonID, organisation: String, role: String, capacity: String?, validFrom: LocalDate,
                         validUntil: LocalDate?, in db: SQLConnection) throws(StorageError) -> Bool {
        var sql = "SELECT 1 FROM appointment WHERE person_id = ? AND organisation = ? AND role = ? AND revoked_at IS NULL"
            + " AND (valid_until IS NULL OR valid_until >= ?)"
        var arguments: SQLArguments = [person.rawValue, organisation, role, validFrom.iso]
        if let capacity {
            sql += " AND capacity = ?"
            arguments.append(capacity)
        } else {
            sql += " AND capacity IS NULL"
        }
        if let validUntil {
            sql += " AND valid_from <= ?"
            arguments.append(validUntil.iso)
        }
        return try db.value(sql, arguments, as: Int.self) != nil
    }

    static func setValidUntil(id: Int64, _ lastDay: LocalDate, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE appointment SET valid_until = ? WHERE id = ?", [lastDay.iso, id])
    }

    static func revoke(id: Int64, at instant: String, by person: PersonID?, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE appointment SET revoked_at = ?, revoked_by = ? WHERE id = ?", [instant, person?.rawValue, id])
    }

    /// Every appointment of `person`, oldest first (Mijn Profiel).
    static func all(of person: PersonID, in db: SQLConnection) throws(StorageError) -> [AppointmentRecord] {
        try db.rows(selectSQL + " WHERE person_id = ? ORDER BY valid_from", [person.rawValue]).map { row throws(StorageError) in
            try AppointmentRecord(row: row)
        }
    }
}
