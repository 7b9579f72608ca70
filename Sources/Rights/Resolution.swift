import Foundation
import GRDB
import Storage

/// One role held for an organisation at the resolution instant.
public struct RoleHolding: Sendable, Codable, Hashable {
    public let kind: AuthorityKind
    public let recordID: Int64
    public let validFrom: LocalDate
    public let validUntil: LocalDate?
    public let capacity: String?
}

/// One effective application right.
public struct EffectiveRight: Sendable, Codable, Hashable {
    public let application: String
    public let right: String
    public let context: String?
    /// The effective period: grant ∩ werkrelatie (INV-4), for display.
    public let validFrom: LocalDate
    public let validUntil: LocalDate?
    /// True when it comes from the WV's automatic access (§4), not from a grant.
    public let viaLegalRepresentative: Bool
    public let grantID: Int64?
}

/// One federal role assignment in force.
public struct FederalRole: Sendable, Codable, Hashable {
    public let assignmentID: Int64
    public let application: String
    public let role: String
    public let context: RoleContext
    public let validFrom: LocalDate
    public let validUntil: LocalDate?
}

/// What a person may do for one organisation.
public struct OrganisationRights: Sendable, Codable {
    public let organisation: KBONumber
    public let name: String?
    public let roles: [RoleHolding]
    public let rights: [EffectiveRight]
    public let federalRoles: [FederalRole]
    /// WV, HTB, HLB or LB-VO: may act in the rights administration for this organisation.
    public let canManage: Bool
}

/// A person's organisations, roles and rights at one instant.
public struct Resolution: Sendable, Codable {
    public let at: Date
    public let day: LocalDate
    public let organisations: [OrganisationRights]
}

/// Answer to "person P logs in to application A (for organisation O)".
public enum LoginDecision: Sendable, Equatable {
    /// Allowed for one organisation; the token carries this organisation only (E6).
    case allowed(organisation: KBONumber, rights: [EffectiveRight])
    /// Several organisations qualify and no login hint was given: the person chooses (E6).
    case chooseOrganisation([KBONumber])
    /// The session is too weak: not a rights failure (§11.2 rule 3, E19).
    case stepUpRequired(minimumLevel: Int)
    /// Refused. `message` is always the §5 text, whatever the reason, so it does not reveal
    /// whether the person has roles elsewhere; `reason` is for the relying service and logs.
    case refused(reason: RightsError.Code, message: String)

    static func refuse(_ reason: RightsError.Code) -> LoginDecision { .refused(reason: reason, message: RightsError.refusalText) }
}

extension RightsService {
    /// Resolves a person at an instant (default: now from the injected clock). An unknown
    /// person has no organisations.
    public func resolve(person: INSZ, at instant: Date? = nil) throws -> Resolution {
        let now = instant ?? clock.now()
        let day = LocalDate(now)
        return try database.read { db in
            guard let personID = try Persons.id(db, person) else { return Resolution(at: now, day: day, organisations: []) }
            return Resolution(at: now, day: day, organisations: try Resolver(db: db, person: personID, day: day, policy: policy).run())
        }
    }

    /// The login decision (§14.1). Evaluation and any audit use one instant (E33).
    /// - Parameters:
    ///   - person: nil for a session without a linked national number (unlinked key, E20).
    ///   - organisation: the login hint, if any.
    ///   - sessionLevel: the session's FAS level.
    public func loginDecision(person: INSZ?, application: String, organisation: KBONumber?, sessionLevel: Int,
                              at instant: Date? = nil) throws -> LoginDecision {
        let now = instant ?? clock.now()
        let day = LocalDate(now)
        return try database.read { db in
            guard let app = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT minimum_assurance, is_rights_administration FROM application WHERE id = ?
                """), arguments: [application]) else {
                return .refuse(.notFound)
            }
            let minimum: Int = app["minimum_assurance"]
            guard sessionLevel >= minimum else { return .stepUpRequired(minimumLevel: minimum) }
            let administration: Bool = app["is_rights_administration"]
            guard let person, let personID = try Persons.id(db, person) else {
                return .refuse(person == nil ? .noLinkedIdentity : (administration ? .notAManager : .none))
            }
            let resolved = try Resolver(db: db, person: personID, day: day, policy: policy).run(application: application)
            var candidates: [(KBONumber, [EffectiveRight])] = []
            for entry in resolved where organisation == nil || entry.organisation == organisation {
                if administration {
                    if entry.canManage { candidates.append((entry.organisation, [])) }
                } else {
                    let rights = entry.rights.filter { $0.application == application }
                    if !rights.isEmpty { candidates.append((entry.organisation, rights)) }
                }
            }
            switch candidates.count {
            case 0: return .refuse(administration ? .notAManager : .none)
            case 1: return .allowed(organisation: candidates[0].0, rights: candidates[0].1)
            default: return .chooseOrganisation(candidates.map(\.0))
            }
        }
    }

    /// Organisations the person may manage now (the organisation picker, E8).
    public func managedOrganisations(person: INSZ, at instant: Date? = nil) throws -> [KBONumber] {
        try resolve(person: person, at: instant).organisations.filter(\.canManage).map(\.organisation)
    }
}

/// §14.1 evaluation for one person and day, inside one read transaction.
struct Resolver {
    let db: GRDB.Database
    let person: PersonID
    let day: LocalDate
    let policy: RightsPolicy

    private final class Accumulator {
        var roles: [RoleHolding] = []
        var rights: [EffectiveRight] = []
        var federal: [FederalRole] = []
    }

    func run(application: String? = nil) throws -> [OrganisationRights] {
        var organisations: [String: Accumulator] = [:]
        var activeCache: [String: Bool] = [:]
        func active(_ org: String) throws -> Bool {
            if let known = activeCache[org] { return known }
            let value = try Registry.isActive(db, org)
            activeCache[org] = value
            return value
        }
        func entry(_ org: String) -> Accumulator {
            if let existing = organisations[org] { return existing }
            let created = Accumulator()
            organisations[org] = created
            return created
        }
        let iso = day.iso

        // Mandates (WV) and appointments.
        let mandateRows = try Row.fetchAll(db.cachedStatement(sql: """
            SELECT id, organisation, valid_from, valid_until FROM legal_representative
            WHERE person_id = ? AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """), arguments: [person.rawValue, iso, iso])
        var mandateOrgs: [String] = []
        for row in mandateRows {
            let org: String = row["organisation"]
            guard try active(org) else { continue }
            mandateOrgs.append(org)
            entry(org).roles.append(RoleHolding(kind: .legalRepresentative, recordID: row["id"], validFrom: LocalDate(row["valid_from"] as String)!,
                                                validUntil: (row["valid_until"] as String?).flatMap(LocalDate.init), capacity: nil))
        }
        let appointmentOrgs = try String.fetchAll(db.cachedStatement(sql: """
            SELECT DISTINCT organisation FROM appointment WHERE person_id = ? AND revoked_at IS NULL
              AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """), arguments: [person.rawValue, iso, iso])
        for org in appointmentOrgs where try active(org) {
            let held = try Authorities.held(db, person: person, organisation: org, day: day, policy: policy)
            for authority in held where authority.kind != .legalRepresentative {
                let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT valid_from, valid_until, capacity FROM appointment WHERE id = ?"),
                                           arguments: [authority.recordID])!
                entry(org).roles.append(RoleHolding(kind: authority.kind, recordID: authority.recordID,
                                                    validFrom: LocalDate(row["valid_from"] as String)!,
                                                    validUntil: (row["valid_until"] as String?).flatMap(LocalDate.init),
                                                    capacity: row["capacity"]))
            }
        }

        // Werkrelaties valid today, per organisation (INV-3).
        var relations: [String: (LocalDate, LocalDate)] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: """
            SELECT organisation, valid_from, valid_until FROM work_relation
            WHERE person_id = ? AND revoked_at IS NULL AND valid_from <= ? AND valid_until >= ?
            """), arguments: [person.rawValue, iso, iso]) {
            let org: String = row["organisation"]
            let from = LocalDate(row["valid_from"] as String)!, until = LocalDate(row["valid_until"] as String)!
            if let known = relations[org] {
                relations[org] = (min(known.0, from), max(known.1, until))
            } else {
                relations[org] = (from, until)
            }
        }

        // Grants (§14.1 step 1).
        var approvalCache: [String: Bool] = [:]
        let grantSQL = """
            SELECT g.id, g.organisation, g.application, g.right_code, g.context, g.valid_from, g.valid_until,
                   d.context_kind, d.requires_owner_approval, d.active
            FROM right_grant g JOIN right_definition d ON d.application = g.application AND d.code = g.right_code
            WHERE g.person_id = ? AND g.revoked_at IS NULL AND g.valid_from <= ? AND g.valid_until >= ?
            """ + (application == nil ? "" : " AND g.application = ?")
        var arguments: StatementArguments = [person.rawValue, iso, iso]
        if let application { arguments += [application] }
        for row in try Row.fetchAll(db.cachedStatement(sql: grantSQL), arguments: arguments) {
            let org: String = row["organisation"]
            guard let relation = relations[org], try active(org), row["active"] as Bool else { continue }
            let app: String = row["application"]
            let right: String = row["right_code"]
            if row["requires_owner_approval"] as Bool {
                let key = app + "\u{0}" + org
                let approved = try approvalCache[key] ?? Effective.approvalCurrent(db, application: app, organisation: org, day: day)
                approvalCache[key] = approved
                guard approved else { continue }
            }
            let context: String? = row["context"]
            switch ContextKind(rawValue: row["context_kind"]) ?? .none {
            case .none:
                guard context == nil else { continue }
            case .fixed:
                guard let context, try Effective.contextValueActive(db, application: app, right: right, value: context) else { continue }
            case .establishments:
                guard let context, try Effective.establishmentActive(db, number: context, enterprise: org) else { continue }
            }
            let from = max(LocalDate(row["valid_from"] as String)!, relation.0)
            let until = min(LocalDate(row["valid_until"] as String)!, relation.1)
            entry(org).rights.append(EffectiveRight(application: app, right: right, context: context, validFrom: from,
                                                    validUntil: until, viaLegalRepresentative: false, grantID: row["id"]))
        }

        // Automatic access of the WV (§4, step 2).
        if !mandateOrgs.isEmpty {
            var sql = "SELECT id, base_right, legal_representative_context FROM application WHERE legal_representative_has_access = 1 AND base_right IS NOT NULL"
            var appArguments: StatementArguments = []
            if let application {
                sql += " AND id = ?"
                appArguments += [application]
            }
            let apps = try Row.fetchAll(db.cachedStatement(sql: sql), arguments: appArguments)
            for org in Set(mandateOrgs) {
                for app in apps {
                    let roles = entry(org).roles.filter { $0.kind == .legalRepresentative }
                    entry(org).rights.append(EffectiveRight(
                        application: app["id"], right: app["base_right"], context: app["legal_representative_context"],
                        validFrom: roles.map(\.validFrom).min()!, validUntil: roles.contains { $0.validUntil == nil } ? nil : roles.compactMap(\.validUntil).max(),
                        viaLegalRepresentative: true, grantID: nil))
                }
            }
        }

        // Federal role assignments.
        var federalSQL = """
            SELECT id, organisation, application, role, context, valid_from, valid_until FROM role_assignment
            WHERE person_id = ? AND revoked_at IS NULL AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?)
            """
        var federalArguments: StatementArguments = [person.rawValue, iso, iso]
        if let application {
            federalSQL += " AND application = ?"
            federalArguments += [application]
        }
        for row in try Row.fetchAll(db.cachedStatement(sql: federalSQL), arguments: federalArguments) {
            let org: String = row["organisation"]
            guard try active(org) else { continue }
            entry(org).federal.append(FederalRole(assignmentID: row["id"], application: row["application"], role: row["role"],
                                                  context: RoleContext(rawValue: row["context"]) ?? .business,
                                                  validFrom: LocalDate(row["valid_from"] as String)!,
                                                  validUntil: (row["valid_until"] as String?).flatMap(LocalDate.init)))
        }

        return try organisations.keys.sorted().map { org in
            let accumulator = organisations[org]!
            return OrganisationRights(organisation: KBONumber(trusted: org), name: try Registry.name(db, org),
                                      roles: accumulator.roles, rights: accumulator.rights, federalRoles: accumulator.federal,
                                      canManage: accumulator.roles.contains { RightsService.flemishManagers.contains($0.kind) })
        }
    }
}
