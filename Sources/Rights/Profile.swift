import Foundation
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
            for (name, sql) in ProfileQueries.export {
                tables[name] = try ProfileQueries.exportRows(sql, person: id, in: db).map { row -> [String: Any] in
                    var object: [String: Any] = [:]
                    for (column, value) in zip(row.columns.names, row.values) {
                        switch value {
                        case .null: object[column] = NSNull()
                        case .integer(let v): object[column] = v
                        case .real(let v): object[column] = v
                        case .text(let v): object[column] = v
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

    private func buildProfile(_ db: SQLConnection, _ id: PersonID, _ person: Person, _ day: LocalDate) throws -> Profile {
        func organisation(_ kbo: String) throws -> Profile.OrganisationRef {
            Profile.OrganisationRef(kbo: kbo, display: KBONumber(trusted: kbo).formatted, name: try Registry.name(db, kbo))
        }
        var itemsByOrg: [String: [Profile.Item]] = [:]
        for (grant, label) in try ProfileQueries.grants(of: id, in: db) {
            let v = Validity(from: grant.validFrom, until: grant.validUntil)
            itemsByOrg[grant.organisation, default: []].append(Profile.Item(
                right: label, application: grant.application, context: grant.context, validFrom: v.validFrom,
                validUntil: v.validUntil, status: .of(v, revoked: grant.revokedAt != nil, on: day)))
        }
        for appointment in try AppointmentRecord.all(of: id, in: db) {
            let v = appointment.validity
            let role = ManagerRole(rawValue: appointment.role)
            itemsByOrg[appointment.organisation, default: []].append(Profile.Item(
                right: role?.label ?? appointment.role, application: nil, context: appointment.capacity, validFrom: v.validFrom,
                validUntil: v.validUntil, status: .of(v, revoked: appointment.revokedAt != nil, on: day)))
        }
        var relations: [Profile.WorkRelation] = []
        var covered: Set<String> = []
        for relation in try WorkRelationRecord.all(of: id, in: db) {
            let org = relation.organisation
            let v = relation.validity
            let status = ItemStatus.of(v, revoked: relation.revokedAt != nil, on: day)
            // The HLBs to turn to are shown only for a werkrelatie valid on the day (not ended, revoked or future).
            let managers = status != .active ? [] : try ProfileQueries.headLocalAdministrators(of: org, on: day, in: db).map {
                Profile.Manager(name: [$0.givenName, $0.familyName].compactMap { $0 }.joined(separator: " "), email: $0.email)
            }
            relations.append(Profile.WorkRelation(
                organisation: try organisation(org), category: relation.category, validFrom: v.validFrom, validUntil: relation.validUntil,
                status: status,
                rights: covered.contains(org) ? [] : itemsByOrg[org] ?? [], headLocalAdministrators: managers))
            covered.insert(org)
        }
        let otherRoles = itemsByOrg.filter { !covered.contains($0.key) }.sorted { $0.key < $1.key }.flatMap(\.value)
        let mandates = try LegalRepresentativeRecord.all(of: id, in: db).map { mandate in
            let v = mandate.validity
            return Profile.Mandate(organisation: try organisation(mandate.organisation), function: mandate.function, validFrom: v.validFrom,
                                   validUntil: v.validUntil, status: .of(v, revoked: false, on: day))
        }
        let federal = try RoleAssignmentRecord.all(of: id, in: db).map { assignment in
            let v = assignment.validity
            return Profile.Item(right: assignment.role, application: assignment.application, context: assignment.organisation,
                                validFrom: v.validFrom, validUntil: v.validUntil, status: .of(v, revoked: assignment.revokedAt != nil, on: day))
        }
        return Profile(name: person.displayName, day: day, workRelations: relations, otherRoles: otherRoles, legalRepresentativeOf: mandates,
                       federalRoleAssignments: federal)
    }
}
