import Storage

/// One row of `owner_approval`: an application owner's approval of an organisation for the
/// application's rights that require it (§7.1, INV-7). Withdrawn by revocation, never deleted.
struct OwnerApprovalRecord {
    enum Column: String, SQLColumnList {
        case id, application, organisation
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case approvedBy = "approved_by"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
    }

    /// Nil until inserted.
    var id: Int64?
    var application: String
    var organisation: String
    var validFrom: LocalDate
    var validUntil: LocalDate?
    var approvedBy: PersonID?
    /// ISO instants.
    var createdAt: String
    var revokedAt: String?
    var revokedBy: PersonID?

    init(application: String, organisation: String, validFrom: LocalDate, validUntil: LocalDate?, approvedBy: PersonID?, createdAt: String) {
        self.id = nil
        self.application = application
        self.organisation = organisation
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.approvedBy = approvedBy
        self.createdAt = createdAt
        self.revokedAt = nil
        self.revokedBy = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        application = try row.value(Column.application)
        organisation = try row.value(Column.organisation)
        validFrom = try row.day(Column.validFrom)
        validUntil = try row.optionalDay(Column.validUntil)
        approvedBy = try row.optional(Column.approvedBy, as: Int64.self).map(PersonID.init)
        createdAt = try row.value(Column.createdAt)
        revokedAt = try row.optional(Column.revokedAt)
        revokedBy = try row.optional(Column.revokedBy, as: Int64.self).map(PersonID.init)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments {
        [application, organisation, validFrom.iso, validUntil?.iso, approvedBy?.rawValue, createdAt, revokedAt, revokedBy?.rawValue]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "owner_approval", returning: .id)
    /// Without returning the id, for bulk loads (the benchmark's synthetic data).
    static let bulkInsertSQL = Column.insert(into: "owner_approval", omitting: .id)

    /// Inserts an approval; returns its id.
    static func insert(_ record: OwnerApprovalRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    static func find(id: Int64, in db: SQLConnection) throws(StorageError) -> OwnerApprovalRecord? {
        try db.row(Column.select(from: "owner_approval") + " WHERE id = ?", [id]).map { row throws(StorageError) in
            try OwnerApprovalRecord(row: row)
        }
    }

    static func revoke(id: Int64, at instant: String, by person: PersonID, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE owner_approval SET revoked_at = ?, revoked_by = ? WHERE id = ?", [instant, person.rawValue, id])
    }

    /// Whether `organisation` holds an unrevoked approval of `application` on `day`.
    static func isCurrent(application: String, organisation: String, on day: LocalDate, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("""
            SELECT 1 FROM owner_approval WHERE application = ? AND organisation = ? AND revoked_at IS NULL
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """, [application, organisation, day.iso, day.iso], as: Bool.self) ?? false
    }
}
