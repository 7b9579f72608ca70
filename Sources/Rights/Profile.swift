import Foundation
import GRDB
import Storage

/// Mijn Profiel (§8): all werkrelaties and rights of a person with dates and status, and who
/// the HLBs are of each organisation the person has a current werkrelatie with. No national
/// number in the view.
public struct Profile: Sendable, Codable {
    public struct OrganisationRef: Sendable, Codable {
        public let kbo: String
        public let display: String
        public let name: String?
    }
    public struct Item: Sendable, Codable {
        public let right: String
        public let application: String?
        public let context: String?
        public let validFrom: LocalDate
        public let validUntil: LocalDate?
        public let status: ItemStatus
    }
    public struct Manager: Sendable, Codable {
        public let name: String
        public let email: String?
    }
    public struct WorkRelation: Sendable, Codable {
        public let organisation: OrganisationRef
        public let category: String
        public let validFrom: LocalDate
        public let validUntil: LocalDate
        public let status: ItemStatus
        /// Grants and manager roles for this organisation (the HLB shows as a right, §8).
        public let rights: [Item]
        public let headLocalAdministrators: [Manager]
    }
    public struct Mandate: Sendable, Codable {
        public let organisation: OrganisationRef
        public let function: String
        public let validFrom: LocalDate
        public let validUntil: LocalDate?
        public let status: ItemStatus
    }
    public let name: String
    public let day: LocalDate
    public let workRelations: [WorkRelation]
    /// Manager roles for organisations without a werkrelatie.
    public let otherRoles: [Item]
    public let legalRepresentativeOf: [Mandate]
    public let federalRoleAssignments: [Item]
}

extension RightsService {
    /// The Mijn Profiel view of a person at an instant (default now).
    public func profile(person: INSZ, at instant: Date? = nil) throws -> Profile {
        let day = LocalDate(instant ?? clock.now())
        return try database.read { db in
            guard let id = try Persons.id(db, person), let record = try Persons.person(db, id) else {
                throw RightsError(.notFound, "unknown person")
            }
            return try buildProfile(db, id, record, day)
        }
    }

    /// Everything held about one person, as JSON: the person record (with the number: this is
    /// the person's own data), the profile, every row in the rights tables that names them, and
    /// the audit events where they are actor or subject.
    public func exportPerson(person: INSZ, at instant: Date? = nil) throws -> Data {
        let day = LocalDate(instant ?? clock.now())
        return try database.read { db in
            guard let id = try Persons.id(db, person), let record = try Persons.person(db, id) else {
                throw RightsError(.notFound, "unknown person")
            }
            let profile = try buildProfile(db, id, record, day)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            let profileJSON = try JSONSerialization.jsonObject(with: encoder.encode(profile))
            var tables: [String: Any] = [:]
            let queries: [(String, String)] = [
                ("person", "SELECT * FROM person WHERE id = ?"),
                ("legalRepresentative", "SELECT * FROM legal_representative WHERE person_id = ?"),
                ("appointment", "SELECT * FROM appointment WHERE person_id = ? OR appointed_by = ?1"),
                ("workRelation", "SELECT * FROM work_relation WHERE person_id = ? OR created_by = ?1"),
                ("rightGrant", "SELECT * FROM right_grant WHERE person_id = ? OR granted_by = ?1"),
                ("roleAssignment", "SELECT * FROM role_assignment WHERE person_id = ? OR assigned_by = ?1"),
                ("invitation", "SELECT id, kind, organisation, context, application, roles, created_at, expires_at, accepted_at FROM invitation WHERE accepted_by = ? OR created_by = ?1"),
                ("applicationOwner", "SELECT * FROM application_owner WHERE person_id = ?"),
                ("audit", "SELECT * FROM audit_event WHERE actor_person_id = ? OR subject_person_id = ?1 ORDER BY seq"),
            ]
            for (name, sql) in queries {
                tables[name] = try Row.fetchAll(db, sql: sql, arguments: [id.rawValue]).map { row -> [String: Any] in
                    var object: [String: Any] = [:]
                    for (column, value) in row {
                        switch value.storage {
                        case .null: object[column] = NSNull()
                        case .int64(let v): object[column] = v
                        case .double(let v): object[column] = v
                        case .string(let v): object[column] = v
                        case .blob(let v): object[column] = v.base64EncodedString()
                        }
                    }
                    return object
                }
            }
            let export: [String: Any] = ["profile": profileJSON, "records": tables, "exportedOn": day.iso]
            return try JSONSerialization.data(withJSONObject: export, options: [.prettyPrinted, .sortedKeys])
        }
    }

    private func buildProfile(_ db: GRDB.Database, _ id: PersonID, _ person: Person, _ day: LocalDate) throws -> Profile {
        func organisation(_ kbo: String) throws -> Profile.OrganisationRef {
            Profile.OrganisationRef(kbo: kbo, display: KBONumber(trusted: kbo).formatted, name: try Registry.name(db, kbo))
        }
        func validity(_ row: Row) -> Validity {
            Validity(from: LocalDate(row["valid_from"] as String)!, until: (row["valid_until"] as String?).flatMap(LocalDate.init))
        }
        var itemsByOrg: [String: [Profile.Item]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT g.*, d.label FROM right_grant g JOIN right_definition d ON d.application = g.application AND d.code = g.right_code
            WHERE g.person_id = ? ORDER BY g.valid_from
            """, arguments: [id.rawValue]) {
            let v = validity(row)
            itemsByOrg[row["organisation"], default: []].append(Profile.Item(
                right: row["label"], application: row["application"], context: row["context"], validFrom: v.validFrom,
                validUntil: v.validUntil, status: .of(v, revoked: (row["revoked_at"] as String?) != nil, on: day)))
        }
        for row in try Row.fetchAll(db, sql: "SELECT * FROM appointment WHERE person_id = ? ORDER BY valid_from", arguments: [id.rawValue]) {
            let v = validity(row)
            let role = ManagerRole(rawValue: row["role"])
            itemsByOrg[row["organisation"], default: []].append(Profile.Item(
                right: role?.label ?? row["role"], application: nil, context: row["capacity"], validFrom: v.validFrom,
                validUntil: v.validUntil, status: .of(v, revoked: (row["revoked_at"] as String?) != nil, on: day)))
        }
        var relations: [Profile.WorkRelation] = []
        var covered: Set<String> = []
        for row in try Row.fetchAll(db, sql: "SELECT * FROM work_relation WHERE person_id = ? ORDER BY valid_from", arguments: [id.rawValue]) {
            let org: String = row["organisation"]
            let v = validity(row)
            let status = ItemStatus.of(v, revoked: (row["revoked_at"] as String?) != nil, on: day)
            // The HLBs to turn to are shown only for a werkrelatie valid on the day (not ended, revoked or future).
            let managers = status != .active ? [] : try Row.fetchAll(db, sql: """
                SELECT p.given_name, p.family_name,
                  (SELECT w.email FROM work_relation w WHERE w.person_id = a.person_id AND w.organisation = a.organisation
                   ORDER BY w.valid_until DESC LIMIT 1) AS email
                FROM appointment a JOIN person p ON p.id = a.person_id
                WHERE a.organisation = ? AND a.role = 'flemish.hlb' AND a.revoked_at IS NULL
                  AND a.valid_from <= ? AND (a.valid_until IS NULL OR a.valid_until >= ?)
                """, arguments: [org, day.iso, day.iso]).map {
                Profile.Manager(name: [$0["given_name"] as String?, $0["family_name"] as String?].compactMap { $0 }.joined(separator: " "),
                                email: $0["email"])
            }
            relations.append(Profile.WorkRelation(
                organisation: try organisation(org), category: row["category"], validFrom: v.validFrom, validUntil: v.validUntil!,
                status: status,
                rights: covered.contains(org) ? [] : itemsByOrg[org] ?? [], headLocalAdministrators: managers))
            covered.insert(org)
        }
        let otherRoles = itemsByOrg.filter { !covered.contains($0.key) }.sorted { $0.key < $1.key }.flatMap(\.value)
        let mandates = try Row.fetchAll(db, sql: "SELECT * FROM legal_representative WHERE person_id = ? ORDER BY valid_from",
                                        arguments: [id.rawValue]).map { row in
            let v = validity(row)
            return Profile.Mandate(organisation: try organisation(row["organisation"]), function: row["function"], validFrom: v.validFrom,
                                   validUntil: v.validUntil, status: .of(v, revoked: false, on: day))
        }
        let federal = try Row.fetchAll(db, sql: "SELECT * FROM role_assignment WHERE person_id = ? ORDER BY valid_from",
                                       arguments: [id.rawValue]).map { row in
            let v = validity(row)
            return Profile.Item(right: row["role"], application: row["application"], context: row["organisation"], validFrom: v.validFrom,
                                validUntil: v.validUntil, status: .of(v, revoked: (row["revoked_at"] as String?) != nil, on: day))
        }
        return Profile(name: person.displayName, day: day, workRelations: relations, otherRoles: otherRoles, legalRepresentativeOf: mandates,
                       federalRoleAssignments: federal)
    }
}
