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
    ///
    /// A grant counts (§14.1) only while, on that Brussels day, it is valid and unrevoked, a
    /// werkrelatie with the organisation is valid, the organisation is active, the right is
    /// active, the owner approval is current where required, and its context is still allowed.
    /// Several of these are inferences [I] in the spec; each is read the safer way, as "stops
    /// being effective": a werkrelatie that ended (INV-3), an owner approval that ended (INV-7),
    /// a closed establishment used as context (§13.4), an organisation gone from the KBO
    /// (INV-10). The rows stay; nothing is cached, so a change shows at the next evaluation (INV-5).
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
///
/// Shaped for speed (the issue's budget is 200 µs p99 on 1M persons / 5M grants): one indexed
/// query per record kind, joined with the organisation's active flag (INV-10) and, for grants,
/// with the definition, context and owner-approval checks, so the cost does not grow with
/// per-row lookups. Only federal local administrators (Hoedanigheid) and organisations with
/// `cascadeOnAppointerLoss` take extra queries.
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

    private static let roleOrder: [AuthorityKind] = [.legalRepresentative, .headAccessManager, .headLocalAdministrator,
                                                     .flemishLocalAdministrator, .accessManager, .vte, .coVte,
                                                     .federalLocalAdministrator, .lmb]

    static let mandateSQL = """
        SELECT l.id, l.organisation, l.valid_from, l.valid_until FROM legal_representative l
        JOIN organisation o ON o.kbo = l.organisation AND o.active = 1
        WHERE l.person_id = :person AND l.valid_from <= :day AND (l.valid_until IS NULL OR l.valid_until >= :day)
        """
    static let appointmentSQL = """
        SELECT a.id, a.organisation, a.role, a.appointed_by, a.capacity, a.valid_from, a.valid_until, o.cascade_on_appointer_loss
        FROM appointment a JOIN organisation o ON o.kbo = a.organisation AND o.active = 1
        WHERE a.person_id = :person AND a.revoked_at IS NULL AND a.valid_from <= :day AND (a.valid_until IS NULL OR a.valid_until >= :day)
        """
    static let relationSQL = """
        SELECT organisation, valid_from, valid_until FROM work_relation
        WHERE person_id = :person AND revoked_at IS NULL AND valid_from <= :day AND valid_until >= :day
        """
    /// Grants valid on the day, with every §14.1 step-1 condition except the werkrelatie
    /// evaluated in SQL: active organisation, active definition, current owner approval when
    /// required (INV-7), and an allowed context (INV-8, E16, E17).
    static func grantSQL(application: Bool) -> String {
        """
        SELECT g.id, g.organisation, g.application, g.right_code, g.context, g.valid_from, g.valid_until
        FROM right_grant g
        JOIN right_definition d ON d.application = g.application AND d.code = g.right_code AND d.active = 1
        JOIN organisation o ON o.kbo = g.organisation AND o.active = 1
        WHERE g.person_id = :person AND g.revoked_at IS NULL AND g.valid_from <= :day AND g.valid_until >= :day
          \(application ? "AND g.application = :application" : "")
          AND (d.requires_owner_approval = 0 OR EXISTS (
                SELECT 1 FROM owner_approval a WHERE a.application = g.application AND a.organisation = g.organisation
                  AND a.revoked_at IS NULL AND a.valid_from <= :day AND (a.valid_until IS NULL OR a.valid_until >= :day)))
          AND CASE d.context_kind
                WHEN 'none' THEN g.context IS NULL
                WHEN 'fixed' THEN g.context IS NOT NULL AND coalesce((SELECT v.active FROM right_context_value v
                    WHERE v.application = g.application AND v.right_code = g.right_code AND v.value = g.context), 0) = 1
                WHEN 'establishments' THEN g.context IS NOT NULL AND coalesce((SELECT e.active FROM establishment e
                    WHERE e.number = g.context AND e.enterprise = g.organisation), 0) = 1
                ELSE 0 END
        """
    }
    static func federalSQL(application: Bool) -> String {
        """
        SELECT r.id, r.organisation, r.application, r.role, r.context, r.valid_from, r.valid_until FROM role_assignment r
        JOIN organisation o ON o.kbo = r.organisation AND o.active = 1
        WHERE r.person_id = :person AND r.revoked_at IS NULL AND r.valid_from <= :day AND (r.valid_until IS NULL OR r.valid_until >= :day)
          \(application ? "AND r.application = :application" : "")
        """
    }

    func run(application: String? = nil) throws -> [OrganisationRights] {
        var organisations: [String: Accumulator] = [:]
        func entry(_ org: String) -> Accumulator {
            if let existing = organisations[org] { return existing }
            let created = Accumulator()
            organisations[org] = created
            return created
        }
        var arguments: StatementArguments = ["person": person.rawValue, "day": day.iso]
        if let application { arguments += ["application": application] }
        let personDay: StatementArguments = ["person": person.rawValue, "day": day.iso]

        // Mandates (WV) of active organisations.
        var mandateOrgs: [String] = []
        let mandates = try Row.fetchCursor(db.cachedStatement(sql: Resolver.mandateSQL), arguments: personDay)
        while let row = try mandates.next() {
            let org: String = row[1]
            mandateOrgs.append(org)
            entry(org).roles.append(RoleHolding(kind: .legalRepresentative, recordID: row[0], validFrom: LocalDate(row[2] as String)!,
                                                validUntil: (row[3] as String?).flatMap(LocalDate.init), capacity: nil))
        }

        // Appointments of active organisations; a federal local administrator counts only for an
        // activated Hoedanigheid, and under cascadeOnAppointerLoss only when anchored (§14.3).
        var appointed: [(String, RoleHolding)] = []
        let appointments = try Row.fetchCursor(db.cachedStatement(sql: Resolver.appointmentSQL), arguments: personDay)
        while let row = try appointments.next() {
            guard let role = ManagerRole(rawValue: row[2]) else { continue }
            let org: String = row[1]
            let capacity: String? = row[4]
            let id: Int64 = row[0]
            if role.needsCapacity {
                guard let capacity, try Authorities.capacityActive(db, organisation: org, capacity: capacity, day: day) else { continue }
            }
            if row[7] as Bool {
                var visited: Set<Int64> = [id]
                let appointment = Authorities.AppointmentRow(id: id, role: role, appointedBy: row[3], capacity: capacity)
                guard try Authorities.anchored(db, appointment, organisation: org, day: day, depth: 1, visited: &visited, policy: policy) else {
                    continue
                }
            }
            appointed.append((org, RoleHolding(kind: AuthorityKind(role), recordID: id, validFrom: LocalDate(row[5] as String)!,
                                               validUntil: (row[6] as String?).flatMap(LocalDate.init), capacity: capacity)))
        }
        appointed.sort { Resolver.roleOrder.firstIndex(of: $0.1.kind)! < Resolver.roleOrder.firstIndex(of: $1.1.kind)! }
        for (org, holding) in appointed { entry(org).roles.append(holding) }

        // Werkrelaties valid today, per organisation (INV-3).
        var relations: [String: (LocalDate, LocalDate)] = [:]
        let relationRows = try Row.fetchCursor(db.cachedStatement(sql: Resolver.relationSQL), arguments: personDay)
        while let row = try relationRows.next() {
            let org: String = row[0]
            let from = LocalDate(row[1] as String)!, until = LocalDate(row[2] as String)!
            if let known = relations[org] {
                relations[org] = (min(known.0, from), max(known.1, until))
            } else {
                relations[org] = (from, until)
            }
        }

        // Grants (§14.1 step 1); the werkrelatie condition and the effective period (INV-4) here.
        if !relations.isEmpty {
            let grants = try Row.fetchCursor(db.cachedStatement(sql: Resolver.grantSQL(application: application != nil)), arguments: arguments)
            while let row = try grants.next() {
                let org: String = row[1]
                guard let relation = relations[org] else { continue }
                let from = max(LocalDate(row[5] as String)!, relation.0)
                let until = min(LocalDate(row[6] as String)!, relation.1)
                entry(org).rights.append(EffectiveRight(application: row[2], right: row[3], context: row[4], validFrom: from,
                                                        validUntil: until, viaLegalRepresentative: false, grantID: row[0]))
            }
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
            var seen: Set<String> = []
            for org in mandateOrgs where seen.insert(org).inserted {
                let roles = entry(org).roles.filter { $0.kind == .legalRepresentative }
                for app in apps {
                    entry(org).rights.append(EffectiveRight(
                        application: app[0], right: app[1], context: app[2],
                        validFrom: roles.map(\.validFrom).min()!, validUntil: roles.contains { $0.validUntil == nil } ? nil : roles.compactMap(\.validUntil).max(),
                        viaLegalRepresentative: true, grantID: nil))
                }
            }
        }

        // Federal role assignments.
        let federal = try Row.fetchCursor(db.cachedStatement(sql: Resolver.federalSQL(application: application != nil)), arguments: arguments)
        while let row = try federal.next() {
            entry(row[1]).federal.append(FederalRole(assignmentID: row[0], application: row[2], role: row[3],
                                                     context: RoleContext(rawValue: row[4]) ?? .business,
                                                     validFrom: LocalDate(row[5] as String)!,
                                                     validUntil: (row[6] as String?).flatMap(LocalDate.init)))
        }

        return try organisations.keys.sorted().map { org in
            let accumulator = organisations[org]!
            return OrganisationRights(organisation: KBONumber(trusted: org), name: try Registry.name(db, org),
                                      roles: accumulator.roles, rights: accumulator.rights, federalRoles: accumulator.federal,
                                      canManage: accumulator.roles.contains { RightsService.flemishManagers.contains($0.kind) })
        }
    }
}
