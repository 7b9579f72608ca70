import Foundation
import GRDB
import Storage

/// Tunable defaults of the rights engine (§11.2 rule 4, §14.3).
public struct RightsPolicy: Sendable {
    /// FAS level a session needs for any write in the rights administration (default 400).
    public var administrationMinimumLevel: Int = 400
    /// FAS level to name a head access manager (mirrors BTB: eID or itsme only, INV-14).
    public var headAccessManagerMinimumLevel: Int = 450
    /// Maximum appointment chain depth evaluated under `cascadeOnAppointerLoss` (§14.3, D: 16).
    /// Deeper chains are denied, like evaluation errors.
    public var maximumChainDepth: Int = 16
    public init() {}
}

/// The Rights service: every write checks the actor's authority in the same transaction as the
/// write (INV-11) and appends an audit event (INV-16); every read evaluates against one instant
/// read once from the injected clock (E33).
public final class RightsService: Sendable {
    public let database: Storage.Database
    public let clock: RightsClock
    public let policy: RightsPolicy

    public init(database: Storage.Database, clock: RightsClock = .system, policy: RightsPolicy = RightsPolicy()) {
        self.database = database
        self.clock = clock
        self.policy = policy
    }

    // MARK: - Who may do what (§2.2, §3.2)

    /// The authority kinds that may give `role` (§2.2, §3.2), at write time and, under
    /// `cascadeOnAppointerLoss`, at evaluation time.
    ///
    /// Where the spec marks a cell as inference [I] or ambiguous, the safer (narrower) reading:
    /// - HTB: only the WV or another HTB. An HLB cannot name an HTB [I: the sources name only
    ///   the WV and HTBs as appointers].
    /// - LB-VO (`flemish.localAdmin`): named by WV, HTB or HLB [I for WV and HTB]; it names
    ///   nobody itself [I: "head" administrators name "colleagues", which implies colleagues don't].
    /// - TB: only an HTB names one; a TB has no authority in the Flemish IDM [I: not stated].
    /// - co-VTE: only the VTE. Seed 003's wording that the WV may also name one is ambiguous, so
    ///   a WV must first be (or name himself) VTE.
    /// - LB-F: the VTE or a co-VTE [I: the co-VTE has "the same rights" as the VTE].
    /// - LMB: the LB-F, or the VTE / co-VTE (who name LMBs by activating the Hoedanigheid for
    ///   them) [S for VTE and LB-F, I for co-VTE]; never another LMB (E23).
    static func appointers(of role: ManagerRole) -> Set<AuthorityKind> {
        switch role {
        case .headAccessManager: [.legalRepresentative, .headAccessManager]
        case .accessManager: [.headAccessManager]
        case .headLocalAdministrator: [.legalRepresentative, .headAccessManager, .headLocalAdministrator]
        case .flemishLocalAdministrator: [.legalRepresentative, .headAccessManager, .headLocalAdministrator]
        case .vte: [.legalRepresentative]
        case .coVte: [.vte]
        case .federalLocalAdministrator: [.vte, .coVte]
        case .lmb: [.vte, .coVte, .federalLocalAdministrator]
        }
    }

    /// Manager authority in the Flemish user management: WV, HTB, HLB, LB-VO (§14.1). The LB-VO
    /// creates werkrelaties and grants rights like the HLB [S for managing, I for creating].
    static let flemishManagers: Set<AuthorityKind> = [
        .legalRepresentative, .headAccessManager, .headLocalAdministrator, .flemishLocalAdministrator,
    ]
    /// Who manages federal role assignments: LB-F and LMB only (INV-13). A WV, VTE or co-VTE
    /// does so only when also LB-F [S for WV and VTE, I for the co-VTE: the safer reading].
    static let roleAssignmentManagers: Set<AuthorityKind> = [.federalLocalAdministrator, .lmb]
    /// Who activates a Hoedanigheid.
    static let capacityActivators: Set<AuthorityKind> = [.vte, .coVte]

    /// Self-appointments the sources allow (INV-15); every other self-appointment is refused,
    /// so nobody extends or raises their own role.
    static func selfAppointmentAllowed(_ authority: AuthorityKind, _ role: ManagerRole) -> Bool {
        switch (authority, role) {
        case (.legalRepresentative, .headAccessManager), (.legalRepresentative, .vte),
             (.vte, .federalLocalAdministrator), (.coVte, .federalLocalAdministrator): true
        default: false
        }
    }

    // MARK: - Configuration (system writes)

    /// Registers or updates an application.
    /// - Throws: `invalidInput` for a minimum level outside 100…500 or an accepted key name that is
    ///   not a lowercase word (which names exist is Sessions' business).
    public func registerApplication(_ application: ApplicationDefinition) throws {
        guard (100...500).contains(application.minimumAssurance) else {
            throw RightsError(.invalidInput, "minimum level must be between 100 and 500")
        }
        if let keys = application.acceptedKeys {
            guard !keys.isEmpty, keys.allSatisfy({ key in
                (1...32).contains(key.utf8.count) && key.utf8.allSatisfy { (0x61...0x7A).contains($0) || (0x30...0x39).contains($0) || $0 == 0x2D }
            }) else {
                throw RightsError(.invalidInput, "accepted keys must be one or more lowercase names (eid, totp, sms, email, password)")
            }
        }
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO application (id, name, minimum_assurance, accepted_keys, legal_representative_has_access, base_right,
                  legal_representative_context, is_rights_administration) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(id) DO UPDATE SET name = excluded.name, minimum_assurance = excluded.minimum_assurance,
                  accepted_keys = excluded.accepted_keys,
                  legal_representative_has_access = excluded.legal_representative_has_access,
                  base_right = excluded.base_right, legal_representative_context = excluded.legal_representative_context,
                  is_rights_administration = excluded.is_rights_administration
                """, arguments: [application.id, application.name, application.minimumAssurance,
                                 application.acceptedKeys?.joined(separator: ","),
                                 application.legalRepresentativeHasAccess, application.baseRight,
                                 application.legalRepresentativeContext, application.isRightsAdministration])
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil,
                             action: "application.register", organisation: nil, subject: nil,
                             after: ["application": application.id])
        }
    }

    /// The definition of application `id`, or nil when it is not registered.
    public func application(_ id: String) throws -> ApplicationDefinition? {
        try database.read { db in
            try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM application WHERE id = ?"), arguments: [id]).map { row in
                ApplicationDefinition(
                    id: row["id"], name: row["name"], minimumAssurance: row["minimum_assurance"],
                    acceptedKeys: (row["accepted_keys"] as String?).map { $0.split(separator: ",").map(String.init) },
                    legalRepresentativeHasAccess: row["legal_representative_has_access"], baseRight: row["base_right"],
                    legalRepresentativeContext: row["legal_representative_context"], isRightsAdministration: row["is_rights_administration"])
            }
        }
    }

    /// Defines or updates a right; fixed context values not listed any more are deactivated
    /// (grants using them stop being effective and are listed for cleanup, E16).
    public func defineRight(_ right: RightDefinition) throws {
        let now = clock.now()
        try database.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM application WHERE id = ?", arguments: [right.application]) != nil else {
                throw RightsError(.notFound, "unknown application")
            }
            try db.execute(sql: """
                INSERT INTO right_definition (application, code, label, description, context_kind, requires_owner_approval, active)
                VALUES (?, ?, ?, ?, ?, ?, 1)
                ON CONFLICT(application, code) DO UPDATE SET label = excluded.label, description = excluded.description,
                  context_kind = excluded.context_kind, requires_owner_approval = excluded.requires_owner_approval, active = 1
                """, arguments: [right.application, right.code, right.label, right.description, right.contextKind.rawValue,
                                 right.requiresOwnerApproval])
            try db.execute(sql: "UPDATE right_context_value SET active = 0 WHERE application = ? AND right_code = ?",
                           arguments: [right.application, right.code])
            for value in right.contextValues {
                try db.execute(sql: """
                    INSERT INTO right_context_value (application, right_code, value, active) VALUES (?, ?, ?, 1)
                    ON CONFLICT DO UPDATE SET active = 1
                    """, arguments: [right.application, right.code, value])
            }
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil, action: "right.define",
                             organisation: nil, subject: nil,
                             after: ["application": right.application, "right": right.code,
                                     "contexts": right.contextValues.joined(separator: ",")])
        }
    }

    /// Withdraws a right definition: its grants stop being effective; rows stay.
    public func deactivateRight(application: String, code: String) throws {
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: "UPDATE right_definition SET active = 0 WHERE application = ? AND code = ?", arguments: [application, code])
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil, action: "right.deactivate",
                             organisation: nil, subject: nil, after: ["application": application, "right": code])
        }
    }

    /// Makes a person an owner of an application (may approve organisations, §7.1).
    public func addApplicationOwner(application: String, person: INSZ, givenName: String? = nil, familyName: String? = nil) throws {
        let now = clock.now()
        try database.write { db in
            let id = try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
            try db.execute(sql: "INSERT OR IGNORE INTO application_owner (application, person_id) VALUES (?, ?)",
                           arguments: [application, id.rawValue])
            try Audit.append(db, at: now, actor: nil, authority: "system:configuration", level: nil, action: "application.owner.add",
                             organisation: nil, subject: id, after: ["application": application])
        }
    }

    /// Registers a person by national register or BIS number (§2.3 step 3), or updates the names.
    @discardableResult
    public func registerPerson(_ person: INSZ, givenName: String?, familyName: String?) throws -> PersonID {
        let now = clock.now()
        return try database.write { db in
            try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
        }
    }

    /// Adds or updates an organisation outside a KBO import (tests, manual entry). The KBO import
    /// is the normal source.
    public func registerOrganisation(_ number: KBONumber, name: String?, active: Bool = true) throws {
        guard number.kind == .enterprise else { throw RightsError(.kboNotAnEnterprise, "organisations are enterprises") }
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO organisation (kbo, status, active) VALUES (?, 'AC', ?)
                ON CONFLICT(kbo) DO UPDATE SET active = excluded.active
                """, arguments: [number.digits, active])
            if let name {
                try db.execute(sql: "DELETE FROM kbo_denomination WHERE entity = ?", arguments: [number.digits])
                try db.execute(sql: "INSERT INTO kbo_denomination (entity, language, type, name) VALUES (?, '2', '001', ?)",
                               arguments: [number.digits, name])
            }
            try Audit.append(db, at: now, actor: nil, authority: "system:registry", level: nil, action: "organisation.register",
                             organisation: number.digits, subject: nil, after: ["active": active ? "1" : "0"])
        }
    }

    /// Adds or updates an establishment unit of an enterprise outside a KBO import.
    public func registerEstablishment(_ number: KBONumber, of enterprise: KBONumber, active: Bool = true) throws {
        guard number.kind == .establishment else { throw RightsError(.kboNotAnEstablishment, "not an establishment unit number") }
        let now = clock.now()
        try database.write { db in
            try db.execute(sql: """
                INSERT INTO establishment (number, enterprise, active) VALUES (?, ?, ?)
                ON CONFLICT(number) DO UPDATE SET enterprise = excluded.enterprise, active = excluded.active
                """, arguments: [number.digits, enterprise.digits, active])
            try Audit.append(db, at: now, actor: nil, authority: "system:registry", level: nil, action: "establishment.register",
                             organisation: enterprise.digits, subject: nil,
                             after: ["establishment": number.digits, "active": active ? "1" : "0"])
        }
    }

    /// Records a legal representative mandate from the representatives feed (§4: KBO Open Data
    /// lacks them). Returns the mandate id.
    @discardableResult
    public func recordLegalRepresentative(person: INSZ, organisation: KBONumber, function: String = "WV",
                                          validFrom: LocalDate, validUntil: LocalDate?, source: String = "feed") throws -> Int64 {
        let now = clock.now()
        return try database.write { db in
            try Mandates.upsert(db, person: person, givenName: nil, familyName: nil, organisation: organisation.digits,
                                function: function, validity: Validity(from: validFrom, until: validUntil), source: source, at: now)
        }
    }

    // MARK: - Appointments (§2, §3)

    /// Names `person` in `role` for `organisation`. Enforces §2.2/§3.2 at write time, in the same
    /// transaction as the insert.
    ///
    /// - Parameters:
    ///   - capacity: the Hoedanigheid, required for the federal LB-F and LMB.
    ///   - validUntil: required for the Flemish HLB and LB-VO (dated grants in IDM); optional otherwise.
    /// - Returns: the appointment id.
    /// - Throws: `notAManager`, `notAllowed`, `coVteCannotAppointCoVte`, `lmbCannotAppointLmb`,
    ///   `capacityNotActive`, `stepUpRequired`, `invalidPeriod`, `organisationInactive`, `duplicateGrant`.
    @discardableResult
    public func appoint(_ role: ManagerRole, person: INSZ, organisation: KBONumber, validFrom: LocalDate, validUntil: LocalDate?,
                        capacity: String? = nil, givenName: String? = nil, familyName: String? = nil, by actor: Actor) throws -> Int64 {
        try requireLevel(actor, role == .headAccessManager ? policy.headAccessManagerMinimumLevel : policy.administrationMinimumLevel)
        if role == .headLocalAdministrator || role == .flemishLocalAdministrator, validUntil == nil {
            throw RightsError(.invalidPeriod, "an IDM manager appointment needs an end date")
        }
        try checkPeriod(validFrom, validUntil)
        if role.needsCapacity, (capacity ?? "").isEmpty {
            throw RightsError(.capacityNotActive, "a federal local administrator is named for a Hoedanigheid")
        }
        let now = clock.now()
        let day = LocalDate(now)
        return try database.write { db in
            let org = organisation.digits
            try Registry.requireActive(db, org)
            let actorID = try Persons.id(db, actor.person)
            let held = try actorID.map { try Authorities.held(db, person: $0, organisation: org, day: day, policy: policy) } ?? []
            let allowed = RightsService.appointers(of: role)
            guard let authority = held.first(where: { allowed.contains($0.kind) }) else {
                if held.isEmpty { throw RightsError(.notAManager, RightsError.refusalText) }
                let kinds = Set(held.map(\.kind))
                if role == .coVte, kinds.contains(.coVte) {
                    throw RightsError(.coVteCannotAppointCoVte, "a co-VTE cannot appoint another co-VTE")
                }
                if role == .lmb, kinds.contains(.lmb) {
                    throw RightsError(.lmbCannotAppointLmb, "a Lokale Medebeheerder cannot appoint another Lokale Medebeheerder")
                }
                throw RightsError(.notAllowed, "\(kinds.map(\.rawValue).sorted().joined(separator: ", ")) may not appoint \(role.rawValue)")
            }
            let target = try Persons.ensure(db, person, givenName: givenName, familyName: familyName, at: now)
            if target == actorID {
                guard held.contains(where: { allowed.contains($0.kind) && RightsService.selfAppointmentAllowed($0.kind, role) }) else {
                    throw RightsError(.notAllowed, "self-appointment as \(role.rawValue) is not allowed")
                }
            }
            if role.needsCapacity, let capacity {
                guard try Authorities.capacityActive(db, organisation: org, capacity: capacity, day: day) else {
                    throw RightsError(.capacityNotActive, "the Hoedanigheid is not activated for this organisation")
                }
            }
            let overlapping = try Bool.fetchOne(db, sql: """
                SELECT 1 FROM appointment WHERE person_id = ? AND organisation = ? AND role = ? AND capacity IS ?
                  AND revoked_at IS NULL AND (valid_until IS NULL OR valid_until >= ?) AND (? IS NULL OR valid_from <= ?)
                """, arguments: [target.rawValue, org, role.rawValue, capacity, validFrom.iso, validUntil?.iso, validUntil?.iso]) ?? false
            if overlapping { throw RightsError(.duplicateGrant, "an overlapping appointment exists; extend it instead") }
            let via = (held.first { allowed.contains($0.kind) && (target != actorID || RightsService.selfAppointmentAllowed($0.kind, role)) } ?? authority).path
            try db.execute(sql: """
                INSERT INTO appointment (person_id, organisation, role, capacity, valid_from, valid_until, source,
                  appointed_by, appointed_via, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [target.rawValue, org, role.rawValue, capacity, validFrom.iso, validUntil?.iso, role.source,
                                 actorID?.rawValue, via, Audit.text(now)])
            let id = db.lastInsertedRowID
            try Audit.append(db, at: now, actor: actorID, authority: via, level: actor.sessionLevel, action: "appointment.create",
                             organisation: org, subject: target,
                             after: ["appointment": "\(id)", "role": role.rawValue, "validFrom": validFrom.iso,
                                     "validUntil": validUntil?.iso ?? "", "capacity": capacity ?? ""])
            return id
        }
    }

    /// Ends an appointment on `lastDay` (inclusive), or revokes it outright when `lastDay` is nil.
    /// The actor must be able to give that role for the organisation, or be its holder stepping
    /// down (ending or shortening only: a later `lastDay` is an extension, which needs the power
    /// to appoint oneself, INV-15).
    /// Rights the appointee granted earlier stay (E10). An extension needs the organisation active
    /// (`organisationInactive`).
    public func endAppointment(_ id: Int64, lastDay: LocalDate?, by actor: Actor) throws {
        try requireLevel(actor, policy.administrationMinimumLevel)
        let now = clock.now()
        let day = LocalDate(now)
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM appointment WHERE id = ?", arguments: [id]) else {
                throw RightsError(.notFound, "unknown appointment")
            }
            let org: String = row["organisation"]
            guard let role = ManagerRole(rawValue: row["role"]) else { throw RightsError(.notFound, "unknown role") }
            let holder = PersonID(row["person_id"])
            let actorID = try Persons.id(db, actor.person)
            let via: String
            let currentEnd = (row["valid_until"] as String?).flatMap(LocalDate.init)
            let extends = lastDay.map { day in currentEnd.map { day > $0 } ?? false } ?? false
            // Ending or shortening is always allowed; prolonging gives rights, so the organisation
            // must still be active (as for a new appointment).
            if extends { try Registry.requireActive(db, org) }
            if actorID == holder, !extends {
                // Stepping down: the holder may end or shorten his own appointment.
                via = "self"
            } else if actorID == holder {
                // Extending one's own appointment is a self-appointment: only where the sources allow
                // it (INV-15, e.g. the WV as his own HTB); an HLB cannot prolong his own role.
                let held = try Authorities.held(db, person: holder, organisation: org, day: day, policy: policy)
                guard let authority = held.first(where: {
                    RightsService.appointers(of: role).contains($0.kind) && RightsService.selfAppointmentAllowed($0.kind, role)
                }) else {
                    throw RightsError(.notAllowed, "a holder may end his own appointment earlier, not extend it")
                }
                via = authority.path
            } else {
                let held = try actorID.map { try Authorities.held(db, person: $0, organisation: org, day: day, policy: policy) } ?? []
                guard let authority = held.first(where: { RightsService.appointers(of: role).contains($0.kind) }) else {
                    throw RightsError(held.isEmpty ? .notAManager : .notAllowed, held.isEmpty ? RightsError.refusalText : "may not end this appointment")
                }
                via = authority.path
            }
            let before = ["validUntil": (row["valid_until"] as String?) ?? "", "revokedAt": (row["revoked_at"] as String?) ?? ""]
            if let lastDay {
                let from = LocalDate(row["valid_from"] as String)!
                guard lastDay >= from else { throw RightsError(.invalidPeriod, "the end date lies before the start date") }
                try db.execute(sql: "UPDATE appointment SET valid_until = ? WHERE id = ?", arguments: [lastDay.iso, id])
            } else {
                try db.execute(sql: "UPDATE appointment SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                               arguments: [Audit.text(now), actorID?.rawValue, id])
            }
            try Audit.append(db, at: now, actor: actorID, authority: via, level: actor.sessionLevel,
                             action: lastDay == nil ? "appointment.revoke" : "appointment.end", organisation: org, subject: holder,
                             before: before, after: ["appointment": "\(id)", "validUntil": lastDay?.iso ?? "", "revoked": lastDay == nil ? "1" : "0"])
        }
    }

    /// Activates a Hoedanigheid (federal capacity) for an organisation. Only the VTE or a co-VTE
    /// may (E24).
    @discardableResult
    public func activateCapacity(_ capacity: String, organisation: KBONumber, validFrom: LocalDate, validUntil: LocalDate? = nil,
                                 by actor: Actor) throws -> Int64 {
        try requireLevel(actor, policy.administrationMinimumLevel)
        try checkPeriod(validFrom, validUntil)
        let now = clock.now()
        let day = LocalDate(now)
        return try database.write { db in
            let org = organisation.digits
            try Registry.requireActive(db, org)
            let actorID = try Persons.id(db, actor.person)
            let held = try actorID.map { try Authorities.held(db, person: $0, organisation: org, day: day, policy: policy) } ?? []
            guard let authority = held.first(where: { RightsService.capacityActivators.contains($0.kind) }) else {
                throw RightsError(.onlyVteCanActivateCapacity,
                                  "only the VTE or a co-VTE can activate a Hoedanigheid; a WV must first be named VTE")
            }
            try db.execute(sql: """
                INSERT INTO capacity_activation (organisation, capacity, valid_from, valid_until, activated_by, activated_via, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """, arguments: [org, capacity, validFrom.iso, validUntil?.iso, actorID!.rawValue, authority.path, Audit.text(now)])
            let id = db.lastInsertedRowID
            try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel,
                             action: "capacity.activate", organisation: org, subject: nil,
                             after: ["capacity": capacity, "validFrom": validFrom.iso, "validUntil": validUntil?.iso ?? ""])
            return id
        }
    }

    /// Turns the §14.3 policy on or off for an organisation. Only a WV of the organisation may.
    public func setCascadeOnAppointerLoss(_ on: Bool, organisation: KBONumber, by actor: Actor) throws {
        try requireLevel(actor, policy.administrationMinimumLevel)
        let now = clock.now()
        let day = LocalDate(now)
        try database.write { db in
            let org = organisation.digits
            try Registry.requireActive(db, org)
            let actorID = try Persons.id(db, actor.person)
            let held = try actorID.map { try Authorities.held(db, person: $0, organisation: org, day: day, policy: policy) } ?? []
            guard let authority = held.first(where: { $0.kind == .legalRepresentative }) else {
                throw RightsError(held.isEmpty ? .notAManager : .notAllowed, held.isEmpty ? RightsError.refusalText : "only a WV sets this policy")
            }
            try db.execute(sql: "UPDATE organisation SET cascade_on_appointer_loss = ? WHERE kbo = ?", arguments: [on, org])
            try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel,
                             action: "organisation.cascadePolicy", organisation: org, subject: nil, after: ["cascade": on ? "1" : "0"])
        }
    }

    // MARK: - Werkrelatie (§6)

    /// Creates a werkrelatie. The actor must be WV, HTB, HLB or LB-VO of the organisation (§2.2).
    @discardableResult
    public func createWorkRelation(_ input: WorkRelationInput, by actor: Actor) throws -> Int64 {
        try requireLevel(actor, policy.administrationMinimumLevel)
        try checkPeriod(input.validFrom, input.validUntil)
        try Validation.phone(input.phone)
        try Validation.email(input.email)
        let now = clock.now()
        let day = LocalDate(now)
        return try database.write { db in
            let org = input.organisation.digits
            let (actorID, authority) = try requireManager(db, actor: actor, organisation: org, day: day)
            let target = try Persons.ensure(db, input.person, givenName: nil, familyName: nil, at: now)
            try db.execute(sql: """
                INSERT INTO work_relation (person_id, organisation, target_group, category, phone, email, valid_from, valid_until,
                  reason, created_by, created_via, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [target.rawValue, org, input.targetGroup.rawValue, input.category.rawValue, input.phone, input.email,
                                 input.validFrom.iso, input.validUntil.iso, input.reason, actorID.rawValue, authority.path, Audit.text(now)])
            let id = db.lastInsertedRowID
            try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel,
                             action: "workRelation.create", organisation: org, subject: target,
                             after: ["workRelation": "\(id)", "category": input.category.rawValue, "validFrom": input.validFrom.iso,
                                     "validUntil": input.validUntil.iso])
            return id
        }
    }

    /// Ends a werkrelatie on `lastDay` (inclusive), or revokes it when nil. All rights resting on
    /// it stop being effective without being deleted (§6.2) [I from INV-3: the sources say a
    /// right needs a werkrelatie to be created; Sleutel also requires one to be effective].
    public func endWorkRelation(_ id: Int64, lastDay: LocalDate?, by actor: Actor) throws {
        try requireLevel(actor, policy.administrationMinimumLevel)
        let now = clock.now()
        let day = LocalDate(now)
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM work_relation WHERE id = ?", arguments: [id]) else {
                throw RightsError(.notFound, "unknown werkrelatie")
            }
            let org: String = row["organisation"]
            let (actorID, authority) = try requireManager(db, actor: actor, organisation: org, day: day)
            if let lastDay {
                guard lastDay >= LocalDate(row["valid_from"] as String)! else {
                    throw RightsError(.invalidPeriod, "the end date lies before the start date")
                }
                try db.execute(sql: "UPDATE work_relation SET valid_until = ? WHERE id = ?", arguments: [lastDay.iso, id])
            } else {
                try db.execute(sql: "UPDATE work_relation SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                               arguments: [Audit.text(now), actorID.rawValue, id])
            }
            try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel,
                             action: lastDay == nil ? "workRelation.revoke" : "workRelation.end", organisation: org,
                             subject: PersonID(row["person_id"]), before: ["validUntil": row["valid_until"]],
                             after: ["workRelation": "\(id)", "validUntil": lastDay?.iso ?? ""])
        }
    }

    // MARK: - Owner approval (§7.1, INV-7)

    /// Records that the application owner approves `organisation` handing out the application's
    /// rights that require approval.
    @discardableResult
    public func approve(application: String, organisation: KBONumber, validFrom: LocalDate, validUntil: LocalDate?,
                        by actor: Actor) throws -> Int64 {
        try requireLevel(actor, policy.administrationMinimumLevel)
        try checkPeriod(validFrom, validUntil)
        let now = clock.now()
        return try database.write { db in
            let actorID = try requireOwner(db, actor: actor, application: application)
            try db.execute(sql: """
                INSERT INTO owner_approval (application, organisation, valid_from, valid_until, approved_by, created_at)
                VALUES (?, ?, ?, ?, ?, ?)
                """, arguments: [application, organisation.digits, validFrom.iso, validUntil?.iso, actorID.rawValue, Audit.text(now)])
            let id = db.lastInsertedRowID
            try Audit.append(db, at: now, actor: actorID, authority: "owner:\(application)", level: actor.sessionLevel,
                             action: "approval.create", organisation: organisation.digits, subject: nil,
                             after: ["approval": "\(id)", "validFrom": validFrom.iso, "validUntil": validUntil?.iso ?? ""])
            return id
        }
    }

    /// Withdraws an approval: grants needing it stop being effective (E15).
    public func withdrawApproval(_ id: Int64, by actor: Actor) throws {
        try requireLevel(actor, policy.administrationMinimumLevel)
        let now = clock.now()
        try database.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT application, organisation FROM owner_approval WHERE id = ?", arguments: [id]) else {
                throw RightsError(.notFound, "unknown approval")
            }
            let actorID = try requireOwner(db, actor: actor, application: row["application"])
            try db.execute(sql: "UPDATE owner_approval SET revoked_at = ?, revoked_by = ? WHERE id = ?",
                           arguments: [Audit.text(now), actorID.rawValue, id])
            try Audit.append(db, at: now, actor: actorID, authority: "owner:\(row["application"] as String)", level: actor.sessionLevel,
                             action: "approval.withdraw", organisation: row["organisation"], subject: nil, after: ["approval": "\(id)"])
        }
    }

    // MARK: - Gebruikersrecht (§7)

    /// Grants a right. Refuses without a werkrelatie (E5), without a current owner approval where
    /// required (E14), with a context outside the allowed values (INV-8), and when an overlapping
    /// grant for the same person, organisation, right and context exists (E32). Dates beyond the
    /// werkrelatie's are stored as entered, with a warning (INV-4).
    public func grant(_ input: GrantInput, by actor: Actor) throws -> GrantResult {
        try requireLevel(actor, policy.administrationMinimumLevel)
        try checkPeriod(input.validFrom, input.validUntil)
        let now = clock.now()
        let day = LocalDate(now)
        do {
            return try database.write { db in
                let org = input.organisation.digits
                let (actorID, authority) = try requireManager(db, actor: actor, organisation: org, day: day)
                guard let definition = try Row.fetchOne(db, sql: """
                    SELECT context_kind, requires_owner_approval FROM right_definition WHERE application = ? AND code = ? AND active = 1
                    """, arguments: [input.application, input.right]) else {
                    throw RightsError(.notFound, "unknown or withdrawn right")
                }
                guard let target = try Persons.id(db, input.person) else {
                    throw RightsError(.noWorkRelation, "the person has no werkrelatie with the organisation")
                }
                guard let relation = try Row.fetchOne(db, sql: """
                    SELECT id, valid_from, valid_until FROM work_relation
                    WHERE person_id = ? AND organisation = ? AND revoked_at IS NULL AND valid_until >= ?
                      AND valid_from <= ? AND valid_until >= ?
                    ORDER BY valid_until DESC LIMIT 1
                    """, arguments: [target.rawValue, org, day.iso, input.validUntil.iso, input.validFrom.iso]) else {
                    throw RightsError(.noWorkRelation, "the person has no current werkrelatie with the organisation")
                }
                var warnings: [String] = []
                if input.validFrom < LocalDate(relation["valid_from"] as String)! || input.validUntil > LocalDate(relation["valid_until"] as String)! {
                    warnings.append("the right's dates exceed the werkrelatie's; it is effective only while the werkrelatie is")
                }
                if definition["requires_owner_approval"] as Bool {
                    guard try Effective.approvalCurrent(db, application: input.application, organisation: org, day: day) else {
                        throw RightsError(.ownerApprovalRequired, "the application owner has not approved this organisation")
                    }
                }
                let kind = ContextKind(rawValue: definition["context_kind"]) ?? .none
                var context = input.context
                switch kind {
                case .none:
                    if context != nil { throw RightsError(.contextNotAllowed, "this right takes no context") }
                case .fixed:
                    guard let value = context else { throw RightsError(.contextRequired, "this right needs a context value") }
                    guard try Effective.contextValueActive(db, application: input.application, right: input.right, value: value) else {
                        throw RightsError(.contextNotAllowed, "not an allowed context value of this right")
                    }
                case .establishments:
                    guard let value = context else { throw RightsError(.contextRequired, "this right needs an establishment unit") }
                    let number = try KBONumber.establishment(value)
                    guard try Effective.establishmentActive(db, number: number.digits, enterprise: org) else {
                        throw RightsError(.contextNotAllowed, "not an active establishment unit of this organisation")
                    }
                    context = number.digits
                }
                let duplicate = try Bool.fetchOne(db, sql: """
                    SELECT 1 FROM right_grant WHERE person_id = ? AND organisation = ? AND application = ? AND right_code = ?
                      AND context IS ? AND revoked_at IS NULL AND valid_from <= ? AND ? <= valid_until
                    """, arguments: [target.rawValue, org, input.application, input.right, context, input.validUntil.iso,
                                     input.validFrom.iso]) ?? false
                if duplicate { throw RightsError(.duplicateGrant, "an overlapping grant exists; extend it instead") }
                try db.execute(sql: """
                    INSERT INTO right_grant (person_id, organisation, application, right_code, context, valid_from, valid_until,
                      work_relation_id, granted_by, granted_via, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """, arguments: [target.rawValue, org, input.application, input.right, context, input.validFrom.iso,
                                     input.validUntil.iso, relation["id"] as Int64, actorID.rawValue, authority.path, Audit.text(now)])
                let id = db.lastInsertedRowID
                try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel,
                                 action: "grant.create", organisation: org, subject: target,
                                 after: ["grant": "\(id)", "application": input.application, "right": input.right,
                                         "context": context ?? "", "validFrom": input.validFrom.iso, "validUntil": input.validUntil.iso])
                return GrantResult(grantID: id, warnings: warnings)
            }
        } catch let error as StorageError where error.code == .constraint && error.constraintMessage == "rights.duplicateGrant" {
            throw RightsError(.duplicateGrant, "an overlapping grant exists; extend it instead")
        }
    }

    /// Revokes a grant (herroepen): the row stays for audit.
    public func revokeGrant(_ id: Int64, reason: String?, by actor: Actor) throws {
        try changeGrant(id, by: actor, action: "grant.revoke") { db, row, actorID, now in
            guard (row["revoked_at"] as String?) == nil else { throw RightsError(.notFound, "already revoked") }
            try db.execute(sql: "UPDATE right_grant SET revoked_at = ?, revoked_by = ?, revoke_reason = ? WHERE id = ?",
                           arguments: [Audit.text(now), actorID.rawValue, reason, id])
            return ["revoked": "1"]
        }
    }

    /// Moves a grant's end date (extend instead of a duplicate grant, E32; or end it early).
    public func changeGrantEnd(_ id: Int64, validUntil: LocalDate, by actor: Actor) throws {
        try changeGrant(id, by: actor, action: "grant.changeEnd") { db, row, _, _ in
            guard validUntil >= LocalDate(row["valid_from"] as String)! else {
                throw RightsError(.invalidPeriod, "the end date lies before the start date")
            }
            try db.execute(sql: "UPDATE right_grant SET valid_until = ? WHERE id = ?", arguments: [validUntil.iso, id])
            return ["validUntil": validUntil.iso]
        }
    }

    private func changeGrant(_ id: Int64, by actor: Actor, action: String,
                             _ body: (GRDB.Database, Row, PersonID, Date) throws -> [String: String]) throws {
        try requireLevel(actor, policy.administrationMinimumLevel)
        let now = clock.now()
        let day = LocalDate(now)
        do {
            try database.write { db in
                guard let row = try Row.fetchOne(db, sql: "SELECT * FROM right_grant WHERE id = ?", arguments: [id]) else {
                    throw RightsError(.notFound, "unknown grant")
                }
                let org: String = row["organisation"]
                let (actorID, authority) = try requireManager(db, actor: actor, organisation: org, day: day)
                var after = try body(db, row, actorID, now)
                after["grant"] = "\(id)"
                try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel, action: action,
                                 organisation: org, subject: PersonID(row["person_id"]),
                                 before: ["validUntil": row["valid_until"], "revokedAt": (row["revoked_at"] as String?) ?? ""],
                                 after: after)
            }
        } catch let error as StorageError where error.code == .constraint && error.constraintMessage == "rights.duplicateGrant" {
            throw RightsError(.duplicateGrant, "the new dates overlap another grant")
        }
    }

    // MARK: - Helpers

    func requireLevel(_ actor: Actor, _ minimum: Int) throws(RightsError) {
        guard actor.sessionLevel >= minimum else {
            throw RightsError(.stepUpRequired, "this action needs a session of level \(minimum)", requiredLevel: minimum)
        }
    }

    func checkPeriod(_ from: LocalDate, _ until: LocalDate?) throws(RightsError) {
        if let until, until < from { throw RightsError(.invalidPeriod, "the end date lies before the start date") }
    }

    /// WV, HTB, HLB or LB-VO of the organisation, valid now (INV-9, INV-11). Anyone else gets
    /// the §5 refusal; the organisation must be active (INV-10).
    func requireManager(_ db: GRDB.Database, actor: Actor, organisation: String, day: LocalDate) throws -> (PersonID, HeldAuthority) {
        try Registry.requireActive(db, organisation)
        guard let actorID = try Persons.id(db, actor.person) else { throw RightsError(.notAManager, RightsError.refusalText) }
        let held = try Authorities.held(db, person: actorID, organisation: organisation, day: day, policy: policy)
        guard let authority = held.first(where: { RightsService.flemishManagers.contains($0.kind) }) else {
            throw RightsError(.notAManager, RightsError.refusalText)
        }
        return (actorID, authority)
    }

    func requireOwner(_ db: GRDB.Database, actor: Actor, application: String) throws -> PersonID {
        guard let actorID = try Persons.id(db, actor.person),
              try Bool.fetchOne(db, sql: "SELECT 1 FROM application_owner WHERE application = ? AND person_id = ?",
                                arguments: [application, actorID.rawValue]) != nil else {
            throw RightsError(.notAnApplicationOwner, "only an owner of the application approves organisations")
        }
        return actorID
    }
}

enum Validation {
    static func phone(_ text: String) throws(RightsError) {
        let digits = text.filter { !" ./-()".contains($0) }
        let body = digits.hasPrefix("+") ? String(digits.dropFirst()) : digits
        guard (8...15).contains(body.count), body.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RightsError(.invalidInput, "phone number: 8 to 15 digits, optionally starting with +")
        }
    }

    static func email(_ text: String) throws(RightsError) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !text.contains(" ") else {
            throw RightsError(.invalidInput, "e-mail address is not valid")
        }
    }
}
