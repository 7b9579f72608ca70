import Foundation
import Storage

/// Gebruikersrechten (§7): grant, prolong, revoke.
extension RightsService {

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
                guard let definition = try RightDefinitionRecord.findActive(application: input.application, code: input.right, in: db) else {
                    throw RightsError(.notFound, "unknown or withdrawn right")
                }
                guard let target = try Persons.id(db, input.person) else {
                    throw RightsError(.noWorkRelation, "the person has no werkrelatie with the organisation")
                }
                guard let relation = try WorkRelationRecord.forGrant(person: target, organisation: org, on: day, from: input.validFrom,
                                                                     until: input.validUntil, in: db), let relationID = relation.id else {
                    throw RightsError(.noWorkRelation, "the person has no current werkrelatie with the organisation")
                }
                var warnings: [String] = []
                if input.validFrom < relation.validFrom || input.validUntil > relation.validUntil {
                    warnings.append("the right's dates exceed the werkrelatie's; it is effective only while the werkrelatie is")
                }
                if definition.requiresOwnerApproval {
                    guard try OwnerApprovalRecord.isCurrent(application: input.application, organisation: org, on: day, in: db) else {
                        throw RightsError(.ownerApprovalRequired, "the application owner has not approved this organisation")
                    }
                }
                let kind = definition.kind
                var context = input.context
                switch kind {
                case .none:
                    if context != nil { throw RightsError(.contextNotAllowed, "this right takes no context") }
                case .fixed:
                    guard let value = context else { throw RightsError(.contextRequired, "this right needs a context value") }
                    guard try RightContextValueRecord.isActive(application: input.application, right: input.right, value: value, in: db) else {
                        throw RightsError(.contextNotAllowed, "not an allowed context value of this right")
                    }
                case .establishments:
                    guard let value = context else { throw RightsError(.contextRequired, "this right needs an establishment unit") }
                    let number = try KBONumber.establishment(value)
                    guard try EstablishmentRecord.isActive(number.digits, of: org, in: db) else {
                        throw RightsError(.contextNotAllowed, "not an active establishment unit of this organisation")
                    }
                    context = number.digits
                }
                let duplicate = try RightGrantRecord.overlaps(person: target, organisation: org, application: input.application,
                                                              right: input.right, context: context, from: input.validFrom,
                                                              until: input.validUntil, in: db)
                if duplicate { throw RightsError(.duplicateGrant, "an overlapping grant exists; extend it instead") }
                let id = try RightGrantRecord.insert(RightGrantRecord(
                    personID: target, organisation: org, application: input.application, rightCode: input.right, context: context,
                    validFrom: input.validFrom, validUntil: input.validUntil, workRelationID: relationID, grantedBy: actorID,
                    grantedVia: authority.path, createdAt: Audit.text(now)), in: db)
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
        try changeGrant(id, by: actor, action: "grant.revoke") { db, grant, actorID, now in
            guard grant.revokedAt == nil else { throw RightsError(.notFound, "already revoked") }
            try RightGrantRecord.revoke(id: id, at: Audit.text(now), by: actorID, reason: reason, in: db)
            return ["revoked": "1"]
        }
    }

    /// Moves a grant's end date (extend instead of a duplicate grant, E32; or end it early).
    public func changeGrantEnd(_ id: Int64, validUntil: LocalDate, by actor: Actor) throws {
        try changeGrant(id, by: actor, action: "grant.changeEnd") { db, grant, _, _ in
            guard validUntil >= grant.validFrom else {
                throw RightsError(.invalidPeriod, "the end date lies before the start date")
            }
            try RightGrantRecord.setValidUntil(id: id, validUntil, in: db)
            return ["validUntil": validUntil.iso]
        }
    }

    private func changeGrant(_ id: Int64, by actor: Actor, action: String,
                             _ body: (SQLConnection, RightGrantRecord, PersonID, Date) throws -> [String: String]) throws {
        try requireLevel(actor, policy.administrationMinimumLevel)
        let now = clock.now()
        let day = LocalDate(now)
        do {
            try database.write { db in
                guard let grant = try RightGrantRecord.find(id: id, in: db) else {
                    throw RightsError(.notFound, "unknown grant")
                }
                let org = grant.organisation
                let (actorID, authority) = try requireManager(db, actor: actor, organisation: org, day: day)
                var after = try body(db, grant, actorID, now)
                after["grant"] = "\(id)"
                try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel, action: action,
                                 organisation: org, subject: grant.personID,
                                 before: ["validUntil": grant.validUntil.iso, "revokedAt": grant.revokedAt ?? ""],
                                 after: after)
            }
        } catch let error as StorageError where error.code == .constraint && error.constraintMessage == "rights.duplicateGrant" {
            throw RightsError(.duplicateGrant, "the new dates overlap another grant")
        }
    }
}
