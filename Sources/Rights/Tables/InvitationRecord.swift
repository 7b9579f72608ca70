import Storage

/// One row of `invitation`: an RMA invitation to one or more federal roles (§9), by e-mail
/// (single use) or as a published link (once per person, until it expires).
struct InvitationRecord {
    enum Column: String, SQLColumnList {
        case id, token, kind, organisation, context, application, roles
        case inviteeName = "invitee_name"
        case inviteeSurname = "invitee_surname"
        case inviteeEmail = "invitee_email"
        case message
        case createdBy = "created_by"
        case createdVia = "created_via"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case acceptedBy = "accepted_by"
        case acceptedAt = "accepted_at"
        case revokedAt = "revoked_at"
    }

    /// Nil until inserted.
    var id: Int64?
    var token: String
    /// `email` or `link`.
    var kind: String
    var organisation: String
    /// A ``RoleContext`` raw value.
    var context: String
    var application: String
    /// The role names, one per line.
    var roles: String
    var inviteeName: String?
    var inviteeSurname: String?
    var inviteeEmail: String?
    var message: String?
    var createdBy: PersonID
    var createdVia: String
    /// ISO instants.
    var createdAt: String
    var expiresAt: String
    var acceptedBy: PersonID?
    var acceptedAt: String?
    var revokedAt: String?

    init(token: String, kind: String, organisation: String, context: String, application: String, roles: String, inviteeName: String?,
         inviteeSurname: String?, inviteeEmail: String?, message: String?, createdBy: PersonID, createdVia: String, createdAt: String,
         expiresAt: String) {
        self.id = nil
        self.token = token
        self.kind = kind
        self.organisation = organisation
        self.context = context
        self.application = application
        self.roles = roles
        self.inviteeName = inviteeName
        self.inviteeSurname = inviteeSurname
        self.inviteeEmail = inviteeEmail
        self.message = message
        self.createdBy = createdBy
        self.createdVia = createdVia
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.acceptedBy = nil
        self.acceptedAt = nil
        self.revokedAt = nil
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id, as: Int64.self)
        token = try row.value(Column.token)
        kind = try row.value(Column.kind)
        organisation = try row.value(Column.organisation)
        context = try row.value(Column.context)
        application = try row.value(Column.application)
        roles = try row.value(Column.roles)
        inviteeName = try row.optional(Column.inviteeName)
        inviteeSurname = try row.optional(Column.inviteeSurname)
        inviteeEmail = try row.optional(Column.inviteeEmail)
        message = try row.optional(Column.message)
        createdBy = PersonID(try row.value(Column.createdBy))
        createdVia = try row.value(Column.createdVia)
        createdAt = try row.value(Column.createdAt)
        expiresAt = try row.value(Column.expiresAt)
        acceptedBy = try row.optional(Column.acceptedBy, as: Int64.self).map(PersonID.init)
        acceptedAt = try row.optional(Column.acceptedAt)
        revokedAt = try row.optional(Column.revokedAt)
    }

    /// The values in ``Column`` order, without the generated `id`.
    var arguments: SQLArguments {
        [token, kind, organisation, context, application, roles, inviteeName, inviteeSurname, inviteeEmail, message, createdBy.rawValue,
         createdVia, createdAt, expiresAt, acceptedBy?.rawValue, acceptedAt, revokedAt]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "invitation", returning: .id)

    /// Inserts an invitation; returns its id.
    static func insert(_ record: InvitationRecord, in db: SQLConnection) throws(StorageError) -> Int64 {
        try db.insertReturningID(insertSQL, record.arguments)
    }

    static func find(token: String, in db: SQLConnection) throws(StorageError) -> InvitationRecord? {
        try db.row(Column.select(from: "invitation") + " WHERE token = ?", [token]).map { row throws(StorageError) in
            try InvitationRecord(row: row)
        }
    }

    /// Marks an e-mail invitation accepted by `person`.
    static func accept(id: Int64, by person: PersonID, at instant: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE invitation SET accepted_by = ?, accepted_at = ? WHERE id = ?", [person.rawValue, instant, id])
    }
}
