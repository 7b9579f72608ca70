import Foundation
import GRDB
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
}
