import CryptoCore
import Foundation
import Storage

/// Kind of RMA invitation (§9). There is deliberately no operation by which a user requests a
/// role assignment (INV-13, E25): only direct assignment, e-mail invitation or a published link.
public enum InvitationKind: Sendable, Equatable {
    /// Single-use e-mail invitation naming the invitee.
    case email(name: String, surname: String, email: String, message: String?)
    /// A link published on a web page: each authenticated person may accept it once, until it expires.
    case link
}

extension RightsService {
    /// Assigns a federal role directly. Only an LB-F or LMB of the organisation may (INV-13):
    /// a WV, VTE or co-VTE manages role assignments only when also LB-F.
    @discardableResult
    public func assignRole(person: INSZ, organisation: KBONumber, context: RoleContext, application: String, role: String,
                           email: String?, validFrom: LocalDate, validUntil: LocalDate?, by actor: Actor) throws -> Int64 {
        try requireLevel(actor, policy.administrationMinimumLevel)
        try checkPeriod(validFrom, validUntil)
        if let email { try Validation.email(email) }
        let now = clock.now()
        let day = LocalDate(now)
        return try database.write { db in
            let org = organisation.digits
            let (actorID, authority) = try requireRoleManager(db, actor: actor, organisation: org, day: day)
            let target = try Persons.ensure(db, person, givenName: nil, familyName: nil, at: now)
            return try insertAssignment(db, person: target, organisation: org, context: context, application: application, role: role,
                                        email: email, validFrom: validFrom, validUntil: validUntil, origin: "direct", invitation: nil,
                                        assignedBy: actorID, via: authority.path, level: actor.sessionLevel, now: now)
        }
    }

    /// Creates an invitation for one or more roles. Returns the token to send or publish.
    public func invite(_ kind: InvitationKind, organisation: KBONumber, context: RoleContext, application: String, roles: [String],
                       expiresAt: Date, by actor: Actor) throws -> String {
        try requireLevel(actor, policy.administrationMinimumLevel)
        guard !roles.isEmpty else { throw RightsError(.invalidInput, "an invitation names at least one role") }
        if case .email(_, _, let email, _) = kind { try Validation.email(email) }
        let now = clock.now()
        let day = LocalDate(now)
        let token = Hex.encode(SecureRandom.bytes(24))
        try database.write { db in
            let org = organisation.digits
            let (actorID, authority) = try requireRoleManager(db, actor: actor, organisation: org, day: day)
            var name: String?, surname: String?, email: String?, message: String?
            var kindText = "link"
            if case .email(let n, let s, let e, let m) = kind {
                (name, surname, email, message, kindText) = (n, s, e, m, "email")
            }
            let id = try InvitationRecord.insert(InvitationRecord(
                token: token, kind: kindText, organisation: org, context: context.rawValue, application: application,
                roles: roles.joined(separator: "\n"), inviteeName: name, inviteeSurname: surname, inviteeEmail: email, message: message,
                createdBy: actorID, createdVia: authority.path, createdAt: Audit.text(now), expiresAt: Audit.text(expiresAt)), in: db)
            try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel, action: "invitation.create",
                             organisation: org, subject: nil,
                             after: ["invitation": "\(id)", "kind": kindText, "roles": roles.joined(separator: ",")])
        }
        return token
    }

    /// Accepts an invitation. It binds to the authenticated person (`person`, from the login),
    /// never to the e-mail address; a name or e-mail mismatch is recorded in the audit (E26).
    /// The inviter must still be LB-F or LMB of the organisation at acceptance [I: safer reading].
    /// - Returns: the new role-assignment ids.
    @discardableResult
    public func acceptInvitation(token: String, person: INSZ, sessionLevel: Int, name: String?, surname: String?, email: String?) throws -> [Int64] {
        if let email { try Validation.email(email) }
        let now = clock.now()
        let day = LocalDate(now)
        return try database.write { db in
            guard let invitation = try InvitationRecord.find(token: token, in: db), let id = invitation.id else {
                throw RightsError(.notFound, "unknown invitation")
            }
            let kind = invitation.kind
            guard invitation.revokedAt == nil, let expires = Audit.instant(invitation.expiresAt), now < expires else {
                throw RightsError(.invitationNotUsable, "the invitation is expired or withdrawn")
            }
            if kind == "email", invitation.acceptedBy != nil {
                throw RightsError(.invitationNotUsable, "the invitation was already accepted")
            }
            let org = invitation.organisation
            let inviter = invitation.createdBy
            let held = try Authorities.held(db, person: inviter, organisation: org, day: day, policy: policy)
            guard held.contains(where: { RightsService.roleAssignmentManagers.contains($0.kind) }) else {
                throw RightsError(.invitationNotUsable, "the inviter no longer manages role assignments for this organisation")
            }
            let target = try Persons.ensure(db, person, givenName: nil, familyName: nil, at: now)
            if kind == "link", try RoleAssignmentRecord.exists(invitation: id, person: target, in: db) {
                throw RightsError(.invitationNotUsable, "already accepted by this person")
            }
            var mismatch: [String: String] = [:]
            if kind == "email" {
                let expectedEmail = invitation.inviteeEmail?.lowercased()
                mismatch["emailMatches"] = email?.lowercased() == expectedEmail ? "1" : "0"
                let expectedName = [invitation.inviteeName ?? "", invitation.inviteeSurname ?? ""].map { $0.lowercased() }
                mismatch["nameMatches"] = [name ?? "", surname ?? ""].map { $0.lowercased() } == expectedName ? "1" : "0"
                try InvitationRecord.accept(id: id, by: target, at: Audit.text(now), in: db)
            }
            var ids: [Int64] = []
            let roles = invitation.roles.split(separator: "\n").map(String.init)
            for role in roles {
                ids.append(try insertAssignment(db, person: target, organisation: org, context: RoleContext(rawValue: invitation.context) ?? .business,
                                                application: invitation.application, role: role,
                                                email: email ?? invitation.inviteeEmail, validFrom: day, validUntil: nil,
                                                origin: kind == "email" ? "invitation" : "link", invitation: id, assignedBy: inviter,
                                                via: "invitation#\(id)", level: sessionLevel, now: now))
            }
            mismatch["invitation"] = "\(id)"
            try Audit.append(db, at: now, actor: target, authority: "invitation#\(id)", level: sessionLevel, action: "invitation.accept",
                             organisation: org, subject: target, after: mismatch)
            return ids
        }
    }

    /// The holder asks to stop a role assignment (Mijn eGov-profiel, §9).
    public func requestStop(assignment id: Int64, person: INSZ, sessionLevel: Int) throws {
        let now = clock.now()
        try database.write { db in
            guard let personID = try Persons.id(db, person),
                  let organisation = try RoleAssignmentRecord.organisation(ofAssignment: id, heldBy: personID, in: db) else {
                throw RightsError(.notFound, "no such role assignment of this person")
            }
            try RoleAssignmentRecord.requestStop(id: id, at: Audit.text(now), in: db)
            try Audit.append(db, at: now, actor: personID, authority: "self", level: sessionLevel, action: "roleAssignment.stopRequest",
                             organisation: organisation, subject: personID, after: ["assignment": "\(id)"])
        }
    }

    func requireRoleManager(_ db: SQLConnection, actor: Actor, organisation: String, day: LocalDate) throws -> (PersonID, HeldAuthority) {
        try Registry.requireActive(db, organisation)
        guard let actorID = try Persons.id(db, actor.person) else { throw RightsError(.notAManager, RightsError.refusalText) }
        let held = try Authorities.held(db, person: actorID, organisation: organisation, day: day, policy: policy)
        guard let authority = held.first(where: { RightsService.roleAssignmentManagers.contains($0.kind) }) else {
            if held.isEmpty { throw RightsError(.notAManager, RightsError.refusalText) }
            throw RightsError(.notAllowed, "only a local administrator (LB-F) or Lokale Medebeheerder manages role assignments")
        }
        return (actorID, authority)
    }

    func insertAssignment(_ db: SQLConnection, person: PersonID, organisation: String, context: RoleContext, application: String,
                          role: String, email: String?, validFrom: LocalDate, validUntil: LocalDate?, origin: String, invitation: Int64?,
                          assignedBy: PersonID, via: String, level: Int, now: Date) throws -> Int64 {
        let id = try RoleAssignmentRecord.insert(RoleAssignmentRecord(
            personID: person, organisation: organisation, context: context.rawValue, application: application, role: role, email: email,
            validFrom: validFrom, validUntil: validUntil, origin: origin, invitationID: invitation, assignedBy: assignedBy, assignedVia: via,
            createdAt: Audit.text(now)), in: db)
        try Audit.append(db, at: now, actor: assignedBy, authority: via, level: level, action: "roleAssignment.create",
                         organisation: organisation, subject: person,
                         after: ["assignment": "\(id)", "application": application, "role": role, "origin": origin])
        return id
    }
}
