import Storage

/// One row of the `organisation` table (an enterprise of the KBO, or registered by hand), and
/// every statement on it. Organisations are never deleted: one gone from the KBO is inactive
/// (INV-10), and local data keeps referring to it by number.
struct OrganisationRecord {
    enum Column: String, SQLColumnList {
        case kbo, status
        case juridicalSituation = "juridical_situation"
        case typeOfEnterprise = "type_of_enterprise"
        case juridicalForm = "juridical_form"
        case juridicalFormCAC = "juridical_form_cac"
        case startDate = "start_date"
        case importedFromExtract = "imported_from_extract"
        case lastSeenExtract = "last_seen_extract"
        case active
        case cascadeOnAppointerLoss = "cascade_on_appointer_loss"
    }

    var kbo: String
    var status: String?
    var juridicalSituation: String?
    var typeOfEnterprise: String?
    var juridicalForm: String?
    var juridicalFormCAC: String?
    /// ISO day.
    var startDate: String?
    var importedFromExtract: Int?
    var lastSeenExtract: Int?
    var active: Bool
    var cascadeOnAppointerLoss: Bool

    init(kbo: String, status: String?, juridicalSituation: String?, typeOfEnterprise: String?, juridicalForm: String?,
         juridicalFormCAC: String?, startDate: String?, importedFromExtract: Int?, lastSeenExtract: Int?, active: Bool = true,
         cascadeOnAppointerLoss: Bool = false) {
        self.kbo = kbo
        self.status = status
        self.juridicalSituation = juridicalSituation
        self.typeOfEnterprise = typeOfEnterprise
        self.juridicalForm = juridicalForm
        self.juridicalFormCAC = juridicalFormCAC
        self.startDate = startDate
        self.importedFromExtract = importedFromExtract
        self.lastSeenExtract = lastSeenExtract
        self.active = active
        self.cascadeOnAppointerLoss = cascadeOnAppointerLoss
    }

    init(row: SQLRow) throws(StorageError) {
        kbo = try row.value(Column.kbo)
        status = try row.optional(Column.status)
        juridicalSituation = try row.optional(Column.juridicalSituation)
        typeOfEnterprise = try row.optional(Column.typeOfEnterprise)
        juridicalForm = try row.optional(Column.juridicalForm)
        juridicalFormCAC = try row.optional(Column.juridicalFormCAC)
        startDate = try row.optional(Column.startDate)
        importedFromExtract = try row.optional(Column.importedFromExtract)
        lastSeenExtract = try row.optional(Column.lastSeenExtract)
        active = try row.value(Column.active)
        cascadeOnAppointerLoss = try row.value(Column.cascadeOnAppointerLoss)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments {
        [kbo, status, juridicalSituation, typeOfEnterprise, juridicalForm, juridicalFormCAC, startDate, importedFromExtract,
         lastSeenExtract, active, cascadeOnAppointerLoss]
    }

    // MARK: - Statements

    /// With every column given (the benchmark's synthetic data).
    static let insertSQL = Column.insert(into: "organisation")

    /// The KBO import's upsert of one enterprise: the KBO columns are replaced and the row is
    /// active again; the extract that first imported it and the local cascade policy are kept.
    static let upsertFromExtractSQL = insertSQL + """
         ON CONFLICT (kbo) DO UPDATE SET status = excluded.status, juridical_situation = excluded.juridical_situation,
          type_of_enterprise = excluded.type_of_enterprise, juridical_form = excluded.juridical_form,
          juridical_form_cac = excluded.juridical_form_cac, start_date = excluded.start_date,
          imported_from_extract = COALESCE(organisation.imported_from_extract, excluded.imported_from_extract),
          last_seen_extract = excluded.last_seen_extract, active = 1
        """

    /// Whether organisation `kbo` is in the registry and active.
    static func isActive(_ kbo: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT active FROM organisation WHERE kbo = ?", [kbo], as: Bool.self) ?? false
    }

    /// Whether organisation `kbo` applies `cascadeOnAppointerLoss` (§14.3).
    static func cascades(_ kbo: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT cascade_on_appointer_loss FROM organisation WHERE kbo = ?", [kbo], as: Bool.self) ?? false
    }

    static func setCascade(_ kbo: String, _ on: Bool, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE organisation SET cascade_on_appointer_loss = ? WHERE kbo = ?", [on, kbo])
    }

    /// Adds an organisation by hand (status `AC`) or sets the active flag of a known one.
    static func register(_ kbo: String, active: Bool, in db: SQLConnection) throws(StorageError) {
        try db.execute("""
            INSERT INTO organisation (kbo, status, active) VALUES (?, 'AC', ?)
            ON CONFLICT (kbo) DO UPDATE SET active = excluded.active
            """, [kbo, active])
    }

    /// Marks inactive the organisations seen in an earlier extract but not in `extract`; returns how many.
    static func deactivate(notSeenIn extract: Int, in db: SQLConnection) throws(StorageError) -> Int {
        try db.execute("UPDATE organisation SET active = 0 WHERE active = 1 AND last_seen_extract IS NOT NULL AND last_seen_extract <> ?",
                       [extract])
    }

    /// `UPDATE … SET active = 0` of one organisation (argument: the number), for the update import.
    static let deactivateSQL = "UPDATE organisation SET active = 0 WHERE kbo = ?"
}
