import Storage

/// One row of `application`: a relying application and its policy (the stored form of the
/// public ``ApplicationDefinition``), and every statement on it.
struct ApplicationRecord {
    enum Column: String, SQLColumnList {
        case id, name
        case minimumAssurance = "minimum_assurance"
        case legalRepresentativeHasAccess = "legal_representative_has_access"
        case baseRight = "base_right"
        case legalRepresentativeContext = "legal_representative_context"
        case isRightsAdministration = "is_rights_administration"
        case acceptedKeys = "accepted_keys"
    }

    var id: String
    var name: String
    var minimumAssurance: Int
    var legalRepresentativeHasAccess: Bool
    var baseRight: String?
    var legalRepresentativeContext: String?
    var isRightsAdministration: Bool
    /// Comma-separated key names; nil accepts every key reaching the minimum level.
    var acceptedKeys: String?

    init(_ definition: ApplicationDefinition) {
        id = definition.id
        name = definition.name
        minimumAssurance = definition.minimumAssurance
        legalRepresentativeHasAccess = definition.legalRepresentativeHasAccess
        baseRight = definition.baseRight
        legalRepresentativeContext = definition.legalRepresentativeContext
        isRightsAdministration = definition.isRightsAdministration
        acceptedKeys = definition.acceptedKeys?.joined(separator: ",")
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id)
        name = try row.value(Column.name)
        minimumAssurance = try row.value(Column.minimumAssurance)
        legalRepresentativeHasAccess = try row.value(Column.legalRepresentativeHasAccess)
        baseRight = try row.optional(Column.baseRight)
        legalRepresentativeContext = try row.optional(Column.legalRepresentativeContext)
        isRightsAdministration = try row.value(Column.isRightsAdministration)
        acceptedKeys = try row.optional(Column.acceptedKeys)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments {
        [id, name, minimumAssurance, legalRepresentativeHasAccess, baseRight, legalRepresentativeContext, isRightsAdministration, acceptedKeys]
    }

    var definition: ApplicationDefinition {
        ApplicationDefinition(id: id, name: name, minimumAssurance: minimumAssurance,
                              acceptedKeys: acceptedKeys.map { $0.split(separator: ",").map(String.init) },
                              legalRepresentativeHasAccess: legalRepresentativeHasAccess, baseRight: baseRight,
                              legalRepresentativeContext: legalRepresentativeContext, isRightsAdministration: isRightsAdministration)
    }

    // MARK: - Statements

    /// With the columns given (the benchmark's synthetic data).
    static let insertSQL = Column.insert(into: "application")
    private static let selectSQL = Column.select(from: "application")

    /// Registers the application or replaces its definition.
    static func upsert(_ record: ApplicationRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL + """
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, minimum_assurance = excluded.minimum_assurance,
              accepted_keys = excluded.accepted_keys,
              legal_representative_has_access = excluded.legal_representative_has_access,
              base_right = excluded.base_right, legal_representative_context = excluded.legal_representative_context,
              is_rights_administration = excluded.is_rights_administration
            """, record.arguments)
    }

    static func find(id: String, in db: SQLConnection) throws(StorageError) -> ApplicationRecord? {
        try db.row(selectSQL + " WHERE id = ?", [id]).map { row throws(StorageError) in try ApplicationRecord(row: row) }
    }

    static func exists(id: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT 1 FROM application WHERE id = ?", [id], as: Int.self) != nil
    }

    /// What a login decision reads of application `id` (§11.2): its minimum level and whether it
    /// is the rights administration.
    static func loginPolicy(id: String, in db: SQLConnection) throws(StorageError) -> (minimumAssurance: Int, isRightsAdministration: Bool)? {
        try db.row("SELECT minimum_assurance, is_rights_administration FROM application WHERE id = ?", [id]).map { row throws(StorageError) in
            (try row.value(Column.minimumAssurance), try row.value(Column.isRightsAdministration))
        }
    }

    /// The automatic right of a WV (§4) in one application.
    struct AutomaticAccess {
        let application: String
        let right: String
        let context: String?
    }

    private static let automaticAccessSQL = """
        SELECT id, base_right, legal_representative_context FROM application WHERE legal_representative_has_access = 1 AND base_right IS NOT NULL
        """
    private static let automaticAccessOfOneSQL = automaticAccessSQL + " AND id = ?"

    /// The applications giving a WV automatic access, or only `application` if it does.
    static func automaticAccess(application: String?, in db: SQLConnection) throws(StorageError) -> [AutomaticAccess] {
        let rows = if let application { try db.rows(automaticAccessOfOneSQL, [application]) } else { try db.rows(automaticAccessSQL) }
        return try rows.map { row throws(StorageError) in
            AutomaticAccess(application: try row.value(at: 0), right: try row.value(at: 1), context: try row.optional(at: 2))
        }
    }
}

/// One row of `application_owner`: a person who owns an application and approves organisations
/// for its rights that need it (§7.1).
struct ApplicationOwnerRecord {
    enum Column: String, SQLColumnList {
        case application
        case personID = "person_id"
    }

    var application: String
    var personID: PersonID

    init(application: String, personID: PersonID) {
        self.application = application
        self.personID = personID
    }

    init(row: SQLRow) throws(StorageError) {
        application = try row.value(Column.application)
        personID = PersonID(try row.value(Column.personID))
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [application, personID.rawValue] }

    // MARK: - Statements

    /// Adds the owner; an owner already listed stays as is.
    static func add(_ record: ApplicationOwnerRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(Column.insert(into: "application_owner") + " ON CONFLICT (application, person_id) DO NOTHING", record.arguments)
    }

    static func isOwner(_ person: PersonID, of application: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT 1 FROM application_owner WHERE application = ? AND person_id = ?", [application, person.rawValue],
                     as: Int.self) != nil
    }
}
