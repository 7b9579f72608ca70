import Storage

/// One row of `right_grant`: a gebruikersrecht given to a person for an organisation (§7),
/// resting on a werkrelatie. Revoked or ended, never deleted. Triggers refuse an unrevoked grant
/// overlapping another for the same person, organisation, right and context
/// (`rights.duplicateGrant`, E31/E32).
struct RightGrantRecord {
    enum Column: String, SQLColumnList {
        case id
        case personID = "person_id"
        case organisation, application
        case rightCode = "right_code"
        case context
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case workRelationID = "work_relation_id"
        case grantedBy = "granted_by"
        case grantedVia = "granted_via"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
        case revokeReason = "revoke_reason"
    }

    /// Nil until inserted.
    var id: Int64?
    var personID: PersonID
    var organisation: String
    var application: String
    var rightCode: String
    var context: String?
    var validFrom: LocalDate
    var validUntil: LocalDate
    var workRelationID: Int64
    var grantedBy: PersonID?
    var grantedVia: String
    /// ISO instants.
    var createdAt: String
    var revokedAt: String?
    var revokedBy: PersonID?
    var revokeReason: String?

    init(personID: PersonID, organisation: String, application: String, rightCode: String, context: String?, validFrom: LocalDate,
         validUntil: LocalDate, workRelationID: Int64, grantedBy: PersonID?, grantedVia: String, createdAt: String, revokedAt: String? = nil) {
        self.id = nil
        self.personID = personID
        self.organisation = organisation
        self.application = application
        self.rightCode = rightCode
        self.context = context
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.workRelationID = workRelationID
        self.grantedBy = grantedBy
        self.grantedVia = grantedVia
        self.createdAt = createdAt
        self.revokedAt = revokedAt
        self.revokedBy = nil
        self.revokeReason = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        personID = PersonID(try row.value(Column.personID))
        organisation = try row.value(Column.organisation)
        application = try row.value(Column.application)
        rightCode = try row.value(Column.rightCode)
        context = try row.optional(Column.context)
        validFrom = try row.day(Column.validFrom)
        validUntil = try row.day(Column.validUntil)
        workRelationID = try row.value(Column.workRelationID)
        grantedBy = try row.optional(Column.grantedBy, as: Int64.self).map(PersonID.init)
        grantedVia = try row.value(Column.grantedVia)
        createdAt = try row.value(Column.createdAt)
        revokedAt = try row.optional(Column.revokedAt)
        revokedBy = try row.optional(Column.revokedBy, as: Int64.self).map(PersonID.init)
        revokeReason = try row.optional(Column.revokeReason)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments {
        [personID.rawValue, organisation, application, rightCode, context, validFrom.iso, validUntil.iso, workRelationID, grantedBy?.rawValue,
         grantedVia, createdAt, revokedAt, revokedBy?.rawValue, revokeReason]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "right_grant", returning: .id)
    /// Without returning the id, for bulk loads (the benchmark's synthetic data).
    static let bulkInsertSQL = Column.insert(into: "right_grant", omitting: .id)

    /// Inserts a grant; returns its id. A constraint error `rights.duplicateGrant` when it overlaps another.
    static func insert(_ record: RightGrantRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    static func find(id: Int64, in db: SQLConnection) throws(StorageError) -> RightGrantRecord? {
        try db.row(Column.select(from: "right_grant") + " WHERE id = ?", [id]).map { row throws(StorageError) in try RightGrantRecord(row: row) }
    }

    /// Whether an unrevoked grant of the same person, organisation, right and context overlaps `from…until`.
    static func overlaps(person: PersonID, organisation: String, application: String, right: String, context: String?, from: LocalDate,
                         until: LocalDate, in db: SQLConnection) throws(StorageError) -> Bool {
        let query = """
            SELECT 1 FROM right_grant WHERE person_id = ? AND organisation = ? AND application = ? AND right_code = ?
              AND revoked_at IS NULL AND valid_from <= ? AND ? <= valid_until AND
            """
        var arguments: SQLArguments = [person.rawValue, organisation, application, right, until.iso, from.iso]
        if let context {
            arguments.append(context)
            return try db.value(query + " context = ?", arguments, as: Int.self) != nil
        }
        return try db.value(query + " context IS NULL", arguments, as: Int.self) != nil
    }

    static func revoke(id: Int64, at instant: String, by person: PersonID, reason: String?, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE right_grant SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?",
                       [instant, person.rawValue, reason, id])
    }

    /// Moves the end date. A constraint error `rights.duplicateGrant` when it then overlaps another.
    static func setValidUntil(id: Int64, _ validUntil: LocalDate, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE right_grant SET valid_until = ? WHERE id = ?", [validUntil.iso, id])
    }
}
