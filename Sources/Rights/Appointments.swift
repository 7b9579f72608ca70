import Foundation
import Storage

/// Appointments of managers (§2, §3): who may name whom, prolong and end.
extension RightsService {

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
            let overlapping = try AppointmentRecord.overlaps(person: target, organisation: org, role: role.rawValue, capacity: capacity,
                                                             validFrom: validFrom, validUntil: validUntil, in: db)
            if overlapping { throw RightsError(.duplicateGrant, "an overlapping appointment exists; extend it instead") }
            let via = (held.first { allowed.contains($0.kind) && (target != actorID || RightsService.selfAppointmentAllowed($0.kind, role)) } ?? authority).path
            let id = try AppointmentRecord.insert(AppointmentRecord(
                personID: target, organisation: org, role: role.rawValue, capacity: capacity, validFrom: validFrom, validUntil: validUntil,
                source: role.source, appointedBy: actorID, appointedVia: via, createdAt: Audit.text(now)), in: db)
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
            guard let appointment = try AppointmentRecord.find(id: id, in: db) else {
                throw RightsError(.notFound, "unknown appointment")
            }
            let org = appointment.organisation
            guard let role = ManagerRole(rawValue: appointment.role) else { throw RightsError(.notFound, "unknown role") }
            let holder = appointment.personID
            let actorID = try Persons.id(db, actor.person)
            let via: String
            let currentEnd = appointment.validUntil
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
            let before = ["validUntil": appointment.validUntil?.iso ?? "", "revokedAt": appointment.revokedAt ?? ""]
            if let lastDay {
                guard lastDay >= appointment.validFrom else { throw RightsError(.invalidPeriod, "the end date lies before the start date") }
                try AppointmentRecord.setValidUntil(id: id, lastDay, in: db)
            } else {
                try AppointmentRecord.revoke(id: id, at: Audit.text(now), by: actorID, in: db)
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
            let id = try CapacityActivationRecord.insert(CapacityActivationRecord(
                organisation: org, capacity: capacity, validFrom: validFrom, validUntil: validUntil, activatedBy: actorID!,
                activatedVia: authority.path, createdAt: Audit.text(now)), in: db)
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
            try OrganisationRecord.setCascade(org, on, in: db)
            try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel,
                             action: "organisation.cascadePolicy", organisation: org, subject: nil, after: ["cascade": on ? "1" : "0"])
        }
    }
}
