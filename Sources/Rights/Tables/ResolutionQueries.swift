import Storage

/// The statements of resolution (§14.1, ``Resolver``): one statement per evaluation, shaped
/// for speed (Benchmarks/rights.md). Every lookup is answered from a covering index of
/// `RightsSchema.v2`.
enum ResolutionQueries {
    /// Display name (§13.4) of organisation `o`: denomination 001 in Dutch, else French, German,
    /// any; else 003. The smallest "type, language rank, name" key wins: an aggregate, so no
    /// sorter per row.
    static let name = """
        (SELECT substr(min(n.type || CASE n.language WHEN '2' THEN '0' WHEN '1' THEN '1' WHEN '3' THEN '2' ELSE '3' END || n.name), 5)
         FROM kbo_denomination n WHERE n.entity = o.kbo AND n.type IN ('001', '003'))
        """

    /// Row kinds of ``personSQL``.
    enum Kind: Int {
        case mandate = 0, appointment, relation, grant, federal
    }

    /// Positions of ``personSQL``'s columns. `text1…3`: appointment role, –, capacity; grant
    /// application, right, context; federal application, role, context.
    enum Position {
        static let kind = 0, id = 1, organisation = 2, validFrom = 3, validUntil = 4, text1 = 5, text2 = 6, text3 = 7
        static let appointedBy = 8, cascade = 9, name = 10
    }

    /// Everything a person holds on one day, in one pass over the person indexes: mandates,
    /// appointments (with the organisation's cascade policy), werkrelaties, grants (already
    /// checked against definition, context and owner approval) and federal role assignments,
    /// each joined with the organisation's active flag (INV-10) and display name. With
    /// `application`, the grants and federal roles of that application only. Plain `?`
    /// placeholders (the day is bound once per use): see ``arguments(person:day:application:)``.
    private static func personSQL(application: Bool) -> String {
        let filter = application ? " AND g.application = ?" : ""
        let federalFilter = application ? " AND r.application = ?" : ""
        return """
            WITH p(id) AS (SELECT id FROM person WHERE insz = ?)
            SELECT 0, l.id, l.organisation, l.valid_from, l.valid_until, NULL, NULL, NULL, NULL, 0, \(name)
            FROM legal_representative l JOIN organisation o ON o.kbo = l.organisation AND o.active = 1
            WHERE l.person_id = (SELECT id FROM p) AND l.valid_from <= ? AND (l.valid_until IS NULL OR l.valid_until >= ?)
            UNION ALL
            SELECT 1, a.id, a.organisation, a.valid_from, a.valid_until, a.role, NULL, a.capacity, a.appointed_by, o.cascade_on_appointer_loss,
              \(name)
            FROM appointment a JOIN organisation o ON o.kbo = a.organisation AND o.active = 1
            WHERE a.person_id = (SELECT id FROM p) AND a.revoked_at IS NULL AND a.valid_from <= ?
              AND (a.valid_until IS NULL OR a.valid_until >= ?)
            UNION ALL
            SELECT 2, NULL, w.organisation, w.valid_from, w.valid_until, NULL, NULL, NULL, NULL, 0, NULL
            FROM work_relation w
            WHERE w.person_id = (SELECT id FROM p) AND w.revoked_at IS NULL AND w.valid_from <= ? AND w.valid_until >= ?
            UNION ALL
            SELECT 3, g.id, g.organisation, g.valid_from, g.valid_until, g.application, g.right_code, g.context, NULL, 0, \(name)
            FROM right_grant g
            JOIN right_definition d ON d.application = g.application AND d.code = g.right_code AND d.active = 1
            JOIN organisation o ON o.kbo = g.organisation AND o.active = 1
            WHERE g.person_id = (SELECT id FROM p) AND g.revoked_at IS NULL AND g.valid_from <= ? AND g.valid_until >= ?\(filter)
              AND (d.requires_owner_approval = 0 OR EXISTS (
                    SELECT 1 FROM owner_approval x WHERE x.application = g.application AND x.organisation = g.organisation
                      AND x.revoked_at IS NULL AND x.valid_from <= ? AND (x.valid_until IS NULL OR x.valid_until >= ?)))
              AND ((d.context_kind = 'none' AND g.context IS NULL)
                OR (d.context_kind = 'fixed' AND g.context IS NOT NULL AND EXISTS (SELECT 1 FROM right_context_value v
                    WHERE v.application = g.application AND v.right_code = g.right_code AND v.value = g.context AND v.active = 1))
                OR (d.context_kind = 'establishments' AND g.context IS NOT NULL AND EXISTS (SELECT 1 FROM establishment e
                    WHERE e.number = g.context AND e.enterprise = g.organisation AND e.active = 1)))
            UNION ALL
            SELECT 4, r.id, r.organisation, r.valid_from, r.valid_until, r.application, r.role, r.context, NULL, 0, \(name)
            FROM role_assignment r JOIN organisation o ON o.kbo = r.organisation AND o.active = 1
            WHERE r.person_id = (SELECT id FROM p) AND r.revoked_at IS NULL AND r.valid_from <= ?
              AND (r.valid_until IS NULL OR r.valid_until >= ?)\(federalFilter)
            """
    }

    private static let everySQL = personSQL(application: false)
    private static let oneApplicationSQL = personSQL(application: true)

    /// The arguments of ``personSQL``, in placeholder order.
    private static func arguments(person: String, day: String, application: String?) -> SQLArguments {
        var arguments = SQLArguments([])
        arguments.values.reserveCapacity(16)
        arguments.append(person)
        for _ in 0..<8 { arguments.append(day) }  // mandates, appointments, werkrelaties, grants
        if let application { arguments.append(application) }
        arguments.append(day)  // owner approval
        arguments.append(day)
        arguments.append(day)  // federal roles
        arguments.append(day)
        if let application { arguments.append(application) }
        return arguments
    }

    /// Streams the rows of ``personSQL`` for `person` (national number) on `day`, for every
    /// application or only `application`.
    static func forEach(person: String, day: LocalDate, application: String?, in db: SQLConnection,
                        _ body: (SQLRow) throws -> Void) throws {
        try db.forEach(application == nil ? everySQL : oneApplicationSQL,
                       arguments(person: person, day: day.iso, application: application), body)
    }

    /// Display names of these organisations (numbers), by number; those without a name are left out.
    static func displayNames(of organisations: [String], in db: SQLConnection) throws(StorageError) -> [String: String] {
        var arguments = SQLArguments([])
        for organisation in organisations { arguments.append(organisation) }
        let placeholders = Array(repeating: "?", count: organisations.count).joined(separator: ",")
        var names: [String: String] = [:]
        for row in try db.rows("SELECT o.kbo AS kbo, \(name) AS name FROM organisation o WHERE o.kbo IN (\(placeholders))", arguments) {
            if let name = try row.optional("name", as: String.self) { names[try row.value("kbo")] = name }
        }
        return names
    }
}
