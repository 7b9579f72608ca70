import Storage

/// One row of `audit_event`, the append-only audit (INV-16: triggers refuse updates and
/// deletes). Person ids only, never a national number; `before`/`after` are JSON objects of ids,
/// codes and dates.
struct AuditEventRecord {
    enum Column: String, SQLColumnList {
        case seq, at
        case actorPersonID = "actor_person_id"
        case authority
        case sessionLevel = "session_level"
        case action, organisation
        case subjectPersonID = "subject_person_id"
        case before, after
    }

    /// The order of the trail, given by the database; nil until inserted.
    var seq: Int64?
    /// ISO instant.
    var at: String
    var actorPersonID: PersonID?
    var authority: String
    var sessionLevel: Int?
    var action: String
    var organisation: String?
    var subjectPersonID: PersonID?
    var before: String?
    var after: String?

    init(at: String, actorPersonID: PersonID?, authority: String, sessionLevel: Int?, action: String, organisation: String?,
         subjectPersonID: PersonID?, before: String?, after: String?) {
        self.seq = nil
        self.at = at
        self.actorPersonID = actorPersonID
        self.authority = authority
        self.sessionLevel = sessionLevel
        self.action = action
        self.organisation = organisation
        self.subjectPersonID = subjectPersonID
        self.before = before
        self.after = after
    }

    init(row: SQLRow) throws(StorageError) {
        seq = try row.value(Column.seq, as: Int64.self)
        at = try row.value(Column.at)
        actorPersonID = try row.optional(Column.actorPersonID, as: Int64.self).map(PersonID.init)
        authority = try row.value(Column.authority)
        sessionLevel = try row.optional(Column.sessionLevel)
        action = try row.value(Column.action)
        organisation = try row.optional(Column.organisation)
        subjectPersonID = try row.optional(Column.subjectPersonID, as: Int64.self).map(PersonID.init)
        before = try row.optional(Column.before)
        after = try row.optional(Column.after)
    }

    /// The values in ``Column`` order, without the generated `seq`.
    var arguments: SQLArguments {
        [at, actorPersonID?.rawValue, authority, sessionLevel, action, organisation, subjectPersonID?.rawValue, before, after]
    }

    // MARK: - Statements

    private static let insertSQL = Column.insert(into: "audit_event", omitting: .seq)

    /// Appends the event in the caller's transaction.
    static func insert(_ record: AuditEventRecord, in db: SQLConnection) throws(StorageError) {
        try db.execute(insertSQL, record.arguments)
    }

    /// At most `limit` events after `seq`, oldest first (the change feed).
    static func after(seq: Int64, limit: Int, in db: SQLConnection) throws(StorageError) -> [AuditEventRecord] {
        try db.rows(Column.select(from: "audit_event") + " WHERE seq > ? ORDER BY seq LIMIT ?", [seq, limit]).map { row throws(StorageError) in
            try AuditEventRecord(row: row)
        }
    }
}
