import Storage

/// One row of `role_assignment`: a federal role assigned to a person for an organisation (§9),
/// directly, by an e-mail invitation or by a published link.
struct RoleAssignmentRecord {
    enum Column: String, SQLColumnList {
        case id
        case personID = "person_id"
        case organisation, context, application, role, email
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case origin
        case invitationID = "invitation_id"
        case stopRequestedAt = "stop_requested_at"
        case assignedBy = "assigned_by"
        case assignedVia = "assigned_via"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
    }

    /// Nil until inserted.
    var id: Int64?
    var personID: PersonID
    var organisation: String
    /// A ``RoleContext`` raw value.
    var context: String
    var application: String
    var role: String
    var email: String?
    var validFrom: LocalDate
    var validUntil: LocalDate?
    /// `direct`, `invitation` or `link`.
    var origin: String
    var invitationID: Int64?
    /// ISO instant.
    var stopRequestedAt: String?
    var assignedBy: PersonID?
    var assignedVia: String
    /// ISO instants.
    var createdAt: String
    var revokedAt: String?
    var revokedBy: PersonID?

    init(personID: PersonID, organisation: String, context: String, application: String, role: String, email: String?, validFrom: LocalDate,
         validUntil: LocalDate?, origin: String, invitationID: Int64?, assignedBy: PersonID?, assignedVia: String, createdAt: String) {
        self.id = nil
        self.personID = personID
        self.organisation = organisation
        self.context = context
        self.application = application
        self.role = role
        self.email = email
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.origin = origin
        self.invitationID = invitationID
        self.stopRequestedAt = nil
        self.assignedBy = assignedBy
        self.assignedVia = assignedVia
        self.createdAt = createdAt
        self.revokedAt = nil
        self.revokedBy = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        personID = PersonID(try row.value(Column.personID))
        organisation = try row.value(Column.organisation)
        context = try row.value(Column.context)
        application = try row.value(Column.application)
        role = try row.value(Column.role)
        email = try row.optional(Column.email)
        validFrom = try row.day(Column.validFrom)
        validUntil = try row.optionalDay(Column.validUntil)
        origin = try row.value(Column.origin)
        invitationID = try row.optional(Column.invitationID)
        stopRequestedAt = try row.optional(Column.stopRequestedAt)
        assignedBy = try row.optional(Column.assignedBy, as: Int64.self).map(PersonID.init)
        assignedVia = try row.value(Column.assignedVia)
        createdAt = try row.value(Column.createdAt)
        revokedAt = try row.optional(Column.revokedAt)
        revokedBy = try row.optional(Column.revokedBy, as: Int64.self).map(PersonID.init)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments {
        [personID.rawValue, organisation, context, application, role, email, validFrom.iso, validUntil?.iso, origin, invitationID,
         stopRequestedAt, assignedBy?.rawValue, assignedVia, createdAt, revokedAt, revokedBy?.rawValue]
    }

    var validity: Validity { Validity(from: validFrom, until: validUntil) }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "role_assignment", returning: .id)
    /// Without returning the id, for bulk loads (the benchmark's synthetic data).
    static let bulkInsertSQL = Column.insert(into: "role_assignment", omitting: .id)

    /// Inserts an assignment; returns its id.
    static func insert(_ record: RoleAssignmentRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    /// Whether `person` already holds an assignment from invitation `invitation`.
    static func exists(invitation: Int64, person: PersonID, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT 1 FROM role_assignment WHERE invitation_id = ? AND person_id = ?", [invitation, person.rawValue],
                     as: Int.self) != nil
    }

    /// The organisation of assignment `id` if `person` holds it.
    static func organisation(ofAssignment id: Int64, heldBy person: PersonID, in db: SQLConnection) throws(StorageError) -> String? {
        try db.value("SELECT organisation FROM role_assignment WHERE id = ? AND person_id = ?", [id, person.rawValue])
    }

    static func requestStop(id: Int64, at instant: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE role_assignment SET stop_requested_at = ? WHERE id = ?", [instant, id])
    }

    /// Every assignment of `person`, oldest first (Mijn Profiel).
    static func all(of person: PersonID, in db: SQLConnection) throws(StorageError) -> [RoleAssignmentRecord] {
        try db.rows(Column.select(from: "role_assignment") + " WHERE person_id = ? ORDER BY valid_from", [person.rawValue]).map {
            row throws(StorageError) in try RoleAssignmentRecord(row: row)
        }
    }
}
