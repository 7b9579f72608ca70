import Storage

/// The multi-table reads of the organisation report (§14.3 (b), E16, E17).
enum ReportQueries {
    /// A current grant of the organisation with its right's definition.
    struct GrantWithDefinition {
        let grantID: Int64
        let person: PersonID
        let application: String
        let right: String
        let context: String?
        let contextKind: ContextKind
        let definitionActive: Bool
    }

    /// The unrevoked grants of `organisation` not over on `day`, by id, with their definition.
    static func currentGrants(organisation: String, on day: LocalDate, in db: SQLConnection) throws(StorageError) -> [GrantWithDefinition] {
        try db.rows("""
            SELECT g.id, g.person_id, g.application, g.right_code, g.context, d.context_kind, d.active
            FROM right_grant g JOIN right_definition d ON d.application = g.application AND d.code = g.right_code
            WHERE g.organisation = ? AND g.revoked_at IS NULL AND g.valid_until >= ? ORDER BY g.id
            """, [organisation, day.iso]).map { row throws(StorageError) in
            GrantWithDefinition(grantID: try row.value(at: 0), person: PersonID(try row.value(at: 1)), application: try row.value(at: 2),
                                right: try row.value(at: 3), context: try row.optional(at: 4),
                                contextKind: ContextKind(rawValue: try row.value(at: 5)) ?? .none, definitionActive: try row.value(at: 6))
        }
    }
}
