import Storage

// The KBO child tables (names, addresses, contacts, activities, branches) and the code table.
// Their rows belong to the KBO: a full import replaces them, an update deletes by entity number
// and re-inserts (cookbook R018). They refer to enterprises and units by number, without keys.

/// What the KBO import needs of a child table.
protocol KBOChildRecord: Sendable {
    static var table: String { get }
    /// The column an update deletes by (the entity number, or the branch id).
    static var key: String { get }
    static var insertSQL: String { get }
    /// `CREATE INDEX` statements a full load on SQLite drops first and rebuilds once at the end.
    static var indexes: [String] { get }
    var arguments: SQLArguments { get }
}

extension KBOChildRecord {
    static var deleteAllSQL: String { "DELETE FROM \(table)" }
    static var deleteByKeySQL: String { "DELETE FROM \(table) WHERE \(key) = ?" }
}

/// Indexes shared by the schema and the bulk load (which drops and rebuilds them on SQLite).
enum KBOImportIndexes {
    /// Covers the display-name lookup of resolution (entity, type, language → name).
    static let denomination = "CREATE INDEX kbo_denomination_entity ON kbo_denomination(entity, type, language, name)"

    /// The index name of a `CREATE INDEX <name> ON …` statement.
    static func name(_ statement: String) -> String {
        String(statement.split(separator: " ")[2])
    }
}

/// One row of `kbo_denomination`: a name of an enterprise or unit (type 001 official, 003 commercial…).
struct KBODenominationRecord: KBOChildRecord {
    enum Column: String, SQLColumnList {
        case entity, language, type, name
    }

    var entity: String
    /// `1` French, `2` Dutch, `3` German, `4` English (`0` unknown).
    var language: String
    var type: String
    var name: String

    init(entity: String, language: String, type: String, name: String) {
        self.entity = entity
        self.language = language
        self.type = type
        self.name = name
    }

    init(row: SQLRow) throws(StorageError) {
        entity = try row.value(Column.entity)
        language = try row.value(Column.language)
        type = try row.value(Column.type)
        name = try row.value(Column.name)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [entity, language, type, name] }

    static let table = "kbo_denomination"
    static let key = Column.entity.rawValue
    static let insertSQL = Column.insert(into: table)
    static let indexes = [KBOImportIndexes.denomination]

    static func insert(_ record: KBODenominationRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    static func delete(entity: String, in db: SQLConnection) throws(StorageError) {
        try db.execute(deleteByKeySQL, [entity])
    }

    /// Display name (§13.4): denomination 001 in Dutch, else any 001, else 003.
    static func displayName(of entity: String, in db: SQLConnection) throws(StorageError) -> String? {
        try db.value("""
            SELECT name FROM kbo_denomination WHERE entity = ? AND type IN ('001', '003')
            ORDER BY type, CASE language WHEN '2' THEN 0 WHEN '1' THEN 1 WHEN '3' THEN 2 ELSE 3 END LIMIT 1
            """, [entity])
    }
}

/// One row of `kbo_address`.
struct KBOAddressRecord: KBOChildRecord {
    enum Column: String, SQLColumnList {
        case entity, type
        case countryNL = "country_nl"
        case countryFR = "country_fr"
        case zipcode
        case municipalityNL = "municipality_nl"
        case municipalityFR = "municipality_fr"
        case streetNL = "street_nl"
        case streetFR = "street_fr"
        case houseNumber = "house_number"
        case box, extra
        case dateStrikingOff = "date_striking_off"
    }

    var entity: String
    var type: String
    var countryNL: String?
    var countryFR: String?
    var zipcode: String?
    var municipalityNL: String?
    var municipalityFR: String?
    var streetNL: String?
    var streetFR: String?
    var houseNumber: String?
    var box: String?
    var extra: String?
    /// ISO day.
    var dateStrikingOff: String?

    init(entity: String, type: String, countryNL: String?, countryFR: String?, zipcode: String?, municipalityNL: String?,
         municipalityFR: String?, streetNL: String?, streetFR: String?, houseNumber: String?, box: String?, extra: String?,
         dateStrikingOff: String?) {
        self.entity = entity
        self.type = type
        self.countryNL = countryNL
        self.countryFR = countryFR
        self.zipcode = zipcode
        self.municipalityNL = municipalityNL
        self.municipalityFR = municipalityFR
        self.streetNL = streetNL
        self.streetFR = streetFR
        self.houseNumber = houseNumber
        self.box = box
        self.extra = extra
        self.dateStrikingOff = dateStrikingOff
    }

    init(row: SQLRow) throws(StorageError) {
        entity = try row.value(Column.entity)
        type = try row.value(Column.type)
        countryNL = try row.optional(Column.countryNL)
        countryFR = try row.optional(Column.countryFR)
        zipcode = try row.optional(Column.zipcode)
        municipalityNL = try row.optional(Column.municipalityNL)
        municipalityFR = try row.optional(Column.municipalityFR)
        streetNL = try row.optional(Column.streetNL)
        streetFR = try row.optional(Column.streetFR)
        houseNumber = try row.optional(Column.houseNumber)
        box = try row.optional(Column.box)
        extra = try row.optional(Column.extra)
        dateStrikingOff = try row.optional(Column.dateStrikingOff)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments {
        [entity, type, countryNL, countryFR, zipcode, municipalityNL, municipalityFR, streetNL, streetFR, houseNumber, box, extra,
         dateStrikingOff]
    }

    static let table = "kbo_address"
    static let key = Column.entity.rawValue
    static let insertSQL = Column.insert(into: table)
    static let indexes = ["CREATE INDEX kbo_address_entity ON kbo_address(entity)"]
}

/// One row of `kbo_contact`.
struct KBOContactRecord: KBOChildRecord {
    enum Column: String, SQLColumnList {
        case entity
        case entityContact = "entity_contact"
        case contactType = "contact_type"
        case value
    }

    var entity: String
    var entityContact: String?
    var contactType: String?
    var value: String?

    init(entity: String, entityContact: String?, contactType: String?, value: String?) {
        self.entity = entity
        self.entityContact = entityContact
        self.contactType = contactType
        self.value = value
    }

    init(row: SQLRow) throws(StorageError) {
        entity = try row.value(Column.entity)
        entityContact = try row.optional(Column.entityContact)
        contactType = try row.optional(Column.contactType)
        value = try row.optional(Column.value)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [entity, entityContact, contactType, value] }

    static let table = "kbo_contact"
    static let key = Column.entity.rawValue
    static let insertSQL = Column.insert(into: table)
    static let indexes = ["CREATE INDEX kbo_contact_entity ON kbo_contact(entity)"]
}

/// One row of `kbo_activity` (a NACE code of an entity).
struct KBOActivityRecord: KBOChildRecord {
    enum Column: String, SQLColumnList {
        case entity
        case activityGroup = "activity_group"
        case naceVersion = "nace_version"
        case naceCode = "nace_code"
        case classification
    }

    var entity: String
    var activityGroup: String?
    var naceVersion: String?
    var naceCode: String?
    var classification: String?

    init(entity: String, activityGroup: String?, naceVersion: String?, naceCode: String?, classification: String?) {
        self.entity = entity
        self.activityGroup = activityGroup
        self.naceVersion = naceVersion
        self.naceCode = naceCode
        self.classification = classification
    }

    init(row: SQLRow) throws(StorageError) {
        entity = try row.value(Column.entity)
        activityGroup = try row.optional(Column.activityGroup)
        naceVersion = try row.optional(Column.naceVersion)
        naceCode = try row.optional(Column.naceCode)
        classification = try row.optional(Column.classification)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [entity, activityGroup, naceVersion, naceCode, classification] }

    static let table = "kbo_activity"
    static let key = Column.entity.rawValue
    static let insertSQL = Column.insert(into: table)
    static let indexes = ["CREATE INDEX kbo_activity_entity ON kbo_activity(entity)"]
}

/// One row of `kbo_branch`. Branch ids are not official numbers: kept only here (§12.2).
struct KBOBranchRecord: KBOChildRecord {
    enum Column: String, SQLColumnList {
        case id
        case startDate = "start_date"
        case enterprise
    }

    var id: String
    /// ISO day.
    var startDate: String?
    var enterprise: String?

    init(id: String, startDate: String?, enterprise: String?) {
        self.id = id
        self.startDate = startDate
        self.enterprise = enterprise
    }

    init(row: SQLRow) throws(StorageError) {
        id = try row.value(Column.id)
        startDate = try row.optional(Column.startDate)
        enterprise = try row.optional(Column.enterprise)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [id, startDate, enterprise] }

    static let table = "kbo_branch"
    static let key = Column.id.rawValue
    /// A branch listed twice keeps its last row.
    static let insertSQL = Column.insert(into: table)
        + " ON CONFLICT (id) DO UPDATE SET start_date = excluded.start_date, enterprise = excluded.enterprise"
    static let indexes: [String] = []
}

/// One row of `kbo_code`: the description of a code in one language (`code.csv`, always whole).
struct KBOCodeRecord {
    enum Column: String, SQLColumnList {
        case category, code, language, description
    }

    var category: String
    var code: String
    var language: String
    var description: String?

    init(category: String, code: String, language: String, description: String?) {
        self.category = category
        self.code = code
        self.language = language
        self.description = description
    }

    init(row: SQLRow) throws(StorageError) {
        category = try row.value(Column.category)
        code = try row.value(Column.code)
        language = try row.value(Column.language)
        description = try row.optional(Column.description)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [category, code, language, description] }

    /// A code listed twice keeps its last description.
    static let upsertSQL = Column.insert(into: "kbo_code")
        + " ON CONFLICT (category, code, language) DO UPDATE SET description = excluded.description"

    static func deleteAll(in db: SQLConnection) throws(StorageError) {
        try db.execute("DELETE FROM kbo_code")
    }
}
