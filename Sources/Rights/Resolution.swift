import Foundation
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
            Resolution(at: now, day: day, organisations: try Resolver(db: db, person: person, day: day, policy: policy).run())
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
            guard let app = try ApplicationRecord.loginPolicy(id: application, in: db) else { return .refuse(.notFound) }
            let minimum = app.minimumAssurance
            guard sessionLevel >= minimum else { return .stepUpRequired(minimumLevel: minimum) }
            let administration = app.isRightsAdministration
            guard let person else { return .refuse(.noLinkedIdentity) }
            let resolved = try Resolver(db: db, person: person, day: day, policy: policy).run(application: application)
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

    /// Display names (§13.4) of these organisations, by number; organisations without a name in
    /// the KBO data are left out.
    public func displayNames(of organisations: [KBONumber]) throws -> [KBONumber: String] {
        guard !organisations.isEmpty else { return [:] }
        let digits = organisations.map(\.digits)
        return try database.read { db in
            var names: [KBONumber: String] = [:]
            for (kbo, name) in try ResolutionQueries.displayNames(of: digits, in: db) {
                if let number = try? KBONumber(kbo) { names[number] = name }
            }
            return names
        }
    }

    /// Organisations the person may manage now (the organisation picker, E8).
    public func managedOrganisations(person: INSZ, at instant: Date? = nil) throws -> [KBONumber] {
        try resolve(person: person, at: instant).organisations.filter(\.canManage).map(\.organisation)
    }
}

/// §14.1 evaluation for one person and day, inside one read transaction.
///
/// Shaped for speed (the budget is 200 µs p99 on 1M persons / 5M grants): a single
/// statement finds the person by national number and returns, in one pass over the person
/// indexes, their mandates, appointments, werkrelaties, grants and federal role assignments,
/// already joined with the organisation's active flag (INV-10) and its display name, and, for
/// grants, with the definition, context and owner-approval checks. Only federal local
/// administrators (Hoedanigheid) and organisations with `cascadeOnAppointerLoss` take extra
/// queries. An unknown person simply yields no rows.
struct Resolver {
    let db: SQLConnection
    let person: INSZ
    let day: LocalDate
    let policy: RightsPolicy

    private final class Accumulator {
        var name: String?
        var roles: [RoleHolding] = []
        var rights: [EffectiveRight] = []
        var federal: [FederalRole] = []
    }

    private static let roleOrder: [AuthorityKind] = [.legalRepresentative, .headAccessManager, .headLocalAdministrator,
                                                     .flemishLocalAdministrator, .accessManager, .vte, .coVte,
                                                     .federalLocalAdministrator, .lmb]

    func run(application: String? = nil) throws -> [OrganisationRights] {
        var organisations: [String: Accumulator] = [:]
        func entry(_ org: String, _ name: String?) -> Accumulator {
            if let existing = organisations[org] { return existing }
            let created = Accumulator()
            created.name = name
            organisations[org] = created
            return created
        }
        var mandateOrgs: [String] = []
        var appointed: [(String, String?, RoleHolding)] = []
        var relations: [String: (LocalDate, LocalDate)] = [:]
        var grants: [(org: String, name: String?, right: EffectiveRight)] = []
        typealias Position = ResolutionQueries.Position
        try ResolutionQueries.forEach(person: person.digits, day: day, application: application, in: db) { row in
            guard let kind = ResolutionQueries.Kind(rawValue: try row.value(at: Position.kind)) else { return }
            let org: String = try row.value(at: Position.organisation)
            let from = try row.day(at: Position.validFrom)
            let until = try row.optionalDay(at: Position.validUntil)
            switch kind {
            case .mandate:
                // WV mandate of an active organisation.
                mandateOrgs.append(org)
                entry(org, try row.optional(at: Position.name)).roles.append(RoleHolding(
                    kind: .legalRepresentative, recordID: try row.value(at: Position.id), validFrom: from, validUntil: until, capacity: nil))
            case .appointment:
                // A federal local administrator counts only for an activated Hoedanigheid, and under
                // cascadeOnAppointerLoss an appointment counts only when anchored (§14.3).
                guard let role = ManagerRole(rawValue: try row.value(at: Position.text1)) else { return }
                let id: Int64 = try row.value(at: Position.id)
                let capacity: String? = try row.optional(at: Position.text3)
                if role.needsCapacity {
                    guard let capacity, try Authorities.capacityActive(db, organisation: org, capacity: capacity, day: day) else { return }
                }
                if try row.value(at: Position.cascade, as: Bool.self) {
                    var visited: Set<Int64> = [id]
                    let appointment = Authorities.AppointmentRow(id: id, role: role, appointedBy: try row.optional(at: Position.appointedBy),
                                                                 capacity: capacity)
                    guard try Authorities.anchored(db, appointment, organisation: org, day: day, depth: 1, visited: &visited,
                                                   policy: policy) else { return }
                }
                appointed.append((org, try row.optional(at: Position.name),
                                  RoleHolding(kind: AuthorityKind(role), recordID: id, validFrom: from, validUntil: until, capacity: capacity)))
            case .relation:
                // Werkrelaties valid today, per organisation (INV-3).
                let until = until ?? from
                if let known = relations[org] {
                    relations[org] = (min(known.0, from), max(known.1, until))
                } else {
                    relations[org] = (from, until)
                }
            case .grant:
                // Kept until every werkrelatie has been read (the statement has no ORDER BY).
                guard let until else { return }
                grants.append((org, try row.optional(at: Position.name),
                               EffectiveRight(application: try row.value(at: Position.text1), right: try row.value(at: Position.text2),
                                              context: try row.optional(at: Position.text3), validFrom: from, validUntil: until,
                                              viaLegalRepresentative: false, grantID: try row.value(at: Position.id))))
            case .federal:
                entry(org, try row.optional(at: Position.name)).federal.append(FederalRole(
                    assignmentID: try row.value(at: Position.id), application: try row.value(at: Position.text1),
                    role: try row.value(at: Position.text2), context: RoleContext(rawValue: try row.value(at: Position.text3)) ?? .business,
                    validFrom: from, validUntil: until))
            }
        }
        // §14.1 step 1: the werkrelatie condition and the effective period (INV-4).
        for (org, name, right) in grants {
            guard let relation = relations[org] else { continue }
            entry(org, name).rights.append(EffectiveRight(application: right.application, right: right.right, context: right.context,
                                                          validFrom: max(right.validFrom, relation.0),
                                                          validUntil: min(right.validUntil ?? relation.1, relation.1),
                                                          viaLegalRepresentative: false, grantID: right.grantID))
        }
        appointed.sort { Resolver.roleOrder.firstIndex(of: $0.2.kind)! < Resolver.roleOrder.firstIndex(of: $1.2.kind)! }
        for (org, name, holding) in appointed { entry(org, name).roles.append(holding) }

        // Automatic access of the WV (§4, step 2).
        if !mandateOrgs.isEmpty {
            let apps = try ApplicationRecord.automaticAccess(application: application, in: db)
            var seen: Set<String> = []
            for org in mandateOrgs where seen.insert(org).inserted {
                let accumulator = entry(org, nil)
                let roles = accumulator.roles.filter { $0.kind == .legalRepresentative }
                let from = roles.map { $0.validFrom }.min()!
                let until = roles.contains { $0.validUntil == nil } ? nil : roles.compactMap { $0.validUntil }.max()
                for app in apps {
                    accumulator.rights.append(EffectiveRight(application: app.application, right: app.right, context: app.context,
                                                             validFrom: from, validUntil: until, viaLegalRepresentative: true, grantID: nil))
                }
            }
        }

        return organisations.keys.sorted().map { org in
            let accumulator = organisations[org]!
            return OrganisationRights(organisation: KBONumber(trusted: org), name: accumulator.name,
                                      roles: accumulator.roles, rights: accumulator.rights, federalRoles: accumulator.federal,
                                      canManage: accumulator.roles.contains { RightsService.flemishManagers.contains($0.kind) })
        }
    }
}
