import Storage

/// One row of `capacity_activation`: a Hoedanigheid (federal capacity) activated for an
/// organisation by its VTE or a co-VTE (E24).
struct CapacityActivationRecord {
    enum Column: String, SQLColumnList {
        case id, organisation, capacity
        case validFrom = "valid_from"
        case validUntil = "valid_until"
        case activatedBy = "activated_by"
        case activatedVia = "activated_via"
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case revokedBy = "revoked_by"
    }

    /// Nil until inserted.
    var id: Int64?
    var organisation: String
    var capacity: String
    var validFrom: LocalDate
    var validUntil: LocalDate?
    var activatedBy: PersonID
    var activatedVia: String
    /// ISO instants.
    var createdAt: String
    var revokedAt: String?
    var revokedBy: PersonID?

    init(organisation: String, capacity: String, validFrom: LocalDate, validUntil: LocalDate?, activatedBy: PersonID, activatedVia: String,
         createdAt: String) {
        self.id = nil
        self.organisation = organisation
        self.capacity = capacity
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.activatedBy = activatedBy
        self.activatedVia = activatedVia
        self.createdAt = createdAt
        self.revokedAt = nil
        self.revokedBy = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        organisation = try row.value(Column.organisation)
        capacity = try row.value(Column.capacity)
        validFrom = try row.day(Column.validFrom)
        validUntil = try row.optionalDay(Column.validUntil)
        activatedBy = PersonID(try row.value(Column.activatedBy))
        activatedVia = try row.value(Column.activatedVia)
        createdAt = try row.value(Column.createdAt)
        revokedAt = try row.optional(Column.revokedAt)
        revokedBy = try row.optional(Column.revokedBy, as: Int64.self).map(PersonID.init)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments {
        [organisation, capacity, validFrom.iso, validUntil?.iso, activatedBy.rawValue, activatedVia, createdAt, revokedAt, revokedBy?.rawValue]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "capacity_activation", returning: .id)

    /// Inserts an activation; returns its id.
    static func insert(_ record: CapacityActivationRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    /// Whether `capacity` is activated, unrevoked, for `organisation` on `day`.
    static func isActive(_ capacity: String, organisation: String, on day: LocalDate, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("""
            SELECT 1 FROM capacity_activation WHERE organisation = ? AND capacity = ? AND revoked_at IS NULL
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """, [organisation, capacity, day.iso, day.iso], as: Bool.self) ?? false
    }
}
