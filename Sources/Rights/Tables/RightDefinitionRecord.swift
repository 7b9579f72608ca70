import Storage

/// One row of `right_definition`: a right of an application (§7.1). Withdrawn rights stay,
/// inactive, so their grants stop being effective without being deleted.
struct RightDefinitionRecord {
    enum Column: String, SQLColumnList {
        case application, code, label, description
        case contextKind = "context_kind"
        case requiresOwnerApproval = "requires_owner_approval"
        case active
    }

    var application: String
    var code: String
    var label: String
    var description: String
    /// A ``ContextKind`` raw value.
    var contextKind: String
    var requiresOwnerApproval: Bool
    var active: Bool

    init(application: String, code: String, label: String, description: String, contextKind: String, requiresOwnerApproval: Bool,
         active: Bool = true) {
        self.application = application
        self.code = code
        self.label = label
        self.description = description
        self.contextKind = contextKind
        self.requiresOwnerApproval = requiresOwnerApproval
        self.active = active
    }

    init(row: SQLRow) throws(StorageError) {
        application = try row.value(Column.application)
        code = try row.value(Column.code)
        label = try row.value(Column.label)
        description = try row.value(Column.description)
        contextKind = try row.value(Column.contextKind)
        requiresOwnerApproval = try row.value(Column.requiresOwnerApproval)
        active = try row.value(Column.active)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [application, code, label, description, contextKind, requiresOwnerApproval, active] }

    /// The context kind; an unknown one reads as `.none`.
    var kind: ContextKind { ContextKind(rawValue: contextKind) ?? .none }

    // MARK: - Statements

    static let insertSQL = Column.insert(into: "right_definition")
    private static let selectSQL = Column.select(from: "right_definition")

    /// Defines the right or replaces its definition, active again.
    static func upsert(_ record: RightDefinitionRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL + """
             ON CONFLICT (application, code) DO UPDATE SET label = excluded.label, description = excluded.description,
              context_kind = excluded.context_kind, requires_owner_approval = excluded.requires_owner_approval, active = excluded.active
            """, record.arguments)
    }

    static func deactivate(application: String, code: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE right_definition SET active = 0 WHERE application = ? AND code = ?", [application, code])
    }

    /// The active right `code` of `application`.
    static func findActive(application: String, code: String, in db: SQLConnection) throws(StorageError) -> RightDefinitionRecord? {
        try db.row(selectSQL + " WHERE application = ? AND code = ? AND active = 1", [application, code]).map { row throws(StorageError) in
            try RightDefinitionRecord(row: row)
        }
    }

    /// Every active right, by application and code.
    static func allActive(in db: SQLConnection) throws(StorageError) -> [RightDefinitionRecord] {
        try db.rows(selectSQL + " WHERE active = 1 ORDER BY application, code").map { row throws(StorageError) in
            try RightDefinitionRecord(row: row)
        }
    }
}

/// One row of `right_context_value`: an allowed fixed context value of a right (INV-8). Values
/// no longer listed are deactivated, not deleted (E16).
struct RightContextValueRecord {
    enum Column: String, SQLColumnList {
        case application
        case rightCode = "right_code"
        case value, active
    }

    var application: String
    var rightCode: String
    var value: String
    var active: Bool

    init(application: String, rightCode: String, value: String, active: Bool = true) {
        self.application = application
        self.rightCode = rightCode
        self.value = value
        self.active = active
    }

    init(row: SQLRow) throws(StorageError) {
        application = try row.value(Column.application)
        rightCode = try row.value(Column.rightCode)
        value = try row.value(Column.value)
        active = try row.value(Column.active)
    }

    /// The values in ``Column`` order.
    var arguments: SQLArguments { [application, rightCode, value, active] }

    // MARK: - Statements

    static let insertSQL = Column.insert(into: "right_context_value")

    /// Adds the value, or makes it active again.
    static func upsert(_ record: RightContextValueRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL + " ON CONFLICT (application, right_code, value) DO UPDATE SET active = excluded.active", record.arguments)
    }

    /// Deactivates every value of a right (before the listed ones are upserted again).
    static func deactivateAll(application: String, right: String, in db: SQLConnection) throws(StorageError) {
        try db.execute("UPDATE right_context_value SET active = 0 WHERE application = ? AND right_code = ?", [application, right])
    }

    static func isActive(application: String, right: String, value: String, in db: SQLConnection) throws(StorageError) -> Bool {
        try db.value("SELECT active FROM right_context_value WHERE application = ? AND right_code = ? AND value = ?",
                     [application, right, value], as: Bool.self) ?? false
    }

    /// The active values of a right, sorted.
    static func activeValues(application: String, right: String, in db: SQLConnection) throws(StorageError) -> [String] {
        try db.values("SELECT value FROM right_context_value WHERE application = ? AND right_code = ? AND active = 1 ORDER BY value",
                      [application, right])
    }
}
