import Storage

/// The multi-table reads of Mijn Profiel (§8) and of the export of a person's data.
enum ProfileQueries {
    /// Every grant of `person`, oldest first, with its right's label.
    static func grants(of person: PersonID, in db: SQLConnection) throws(StorageError) -> [(grant: RightGrantRecord, label: String)] {
        let columns = RightGrantRecord.Column.allCases.map { "g." + $0.rawValue }.joined(separator: ", ")
        return try db.rows("""
            SELECT \(columns), d.label FROM right_grant g JOIN right_definition d ON d.application = g.application AND d.code = g.right_code
            WHERE g.person_id = ? ORDER BY g.valid_from
            """, [person.rawValue]).map { row throws(StorageError) in
            (try RightGrantRecord(row: row), try row.value(RightDefinitionRecord.Column.label))
        }
    }

    /// A head local administrator (HLB) of an organisation, with the e-mail address of the
    /// werkrelatie lasting longest.
    struct HeadLocalAdministrator {
        let givenName: String?
        let familyName: String?
        let email: String?
    }

    /// The HLBs of `organisation` on `day`.
    static func headLocalAdministrators(of organisation: String, on day: LocalDate, in db: SQLConnection) throws(StorageError)
        -> [HeadLocalAdministrator] {
        try db.rows("""
            SELECT p.given_name, p.family_name,
              (SELECT w.email FROM work_relation w WHERE w.person_id = a.person_id AND w.organisation = a.organisation
               ORDER BY w.valid_until DESC LIMIT 1) AS email
            FROM appointment a JOIN person p ON p.id = a.person_id
            WHERE a.organisation = ? AND a.role = 'flemish.hlb' AND a.revoked_at IS NULL
              AND a.valid_from <= ? AND (a.valid_until IS NULL OR a.valid_until >= ?)
            """, [organisation, day.iso, day.iso]).map { row throws(StorageError) in
            HeadLocalAdministrator(givenName: try row.optional("given_name"), familyName: try row.optional("family_name"),
                                   email: try row.optional("email"))
        }
    }

    /// What the export lists per table: every row that names the person, as stored. Each
    /// statement takes the person id once per placeholder.
    static let export: [(name: String, sql: String)] = [
        ("person", "SELECT * FROM person WHERE id = ?"),
        ("legalRepresentative", "SELECT * FROM legal_representative WHERE person_id = ?"),
        ("appointment", "SELECT * FROM appointment WHERE person_id = ? OR appointed_by = ?"),
        ("workRelation", "SELECT * FROM work_relation WHERE person_id = ? OR created_by = ?"),
        ("rightGrant", "SELECT * FROM right_grant WHERE person_id = ? OR granted_by = ?"),
        ("roleAssignment", "SELECT * FROM role_assignment WHERE person_id = ? OR assigned_by = ?"),
        ("invitation", """
            SELECT id, kind, organisation, context, application, roles, created_at, expires_at, accepted_at FROM invitation
            WHERE accepted_by = ? OR created_by = ?
            """),
        ("applicationOwner", "SELECT * FROM application_owner WHERE person_id = ?"),
        ("audit", "SELECT * FROM audit_event WHERE actor_person_id = ? OR subject_person_id = ? ORDER BY seq"),
    ]

    /// The rows of one ``export`` statement for `person`.
    static func exportRows(_ sql: String, person: PersonID, in db: SQLConnection) throws(StorageError) -> [SQLRow] {
        let placeholders = sql.filter { $0 == "?" }.count
        return try db.rows(sql, SQLArguments(Array(repeating: .integer(person.rawValue), count: placeholders)))
    }
}
