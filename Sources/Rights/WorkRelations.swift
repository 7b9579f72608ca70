import Foundation
import Storage

/// Werkrelaties (§6): create, edit, prolong and end.
extension RightsService {

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
            let id = try WorkRelationRecord.insert(WorkRelationRecord(
                personID: target, organisation: org, targetGroup: input.targetGroup.rawValue, category: input.category.rawValue,
                phone: input.phone, email: input.email, validFrom: input.validFrom, validUntil: input.validUntil, reason: input.reason,
                createdBy: actorID, createdVia: authority.path, createdAt: Audit.text(now)), in: db)
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
            guard let relation = try WorkRelationRecord.find(id: id, in: db) else {
                throw RightsError(.notFound, "unknown werkrelatie")
            }
            let org = relation.organisation
            let (actorID, authority) = try requireManager(db, actor: actor, organisation: org, day: day)
            if let lastDay {
                guard lastDay >= relation.validFrom else {
                    throw RightsError(.invalidPeriod, "the end date lies before the start date")
                }
                try WorkRelationRecord.setValidUntil(id: id, lastDay, in: db)
            } else {
                try WorkRelationRecord.revoke(id: id, at: Audit.text(now), by: actorID, in: db)
            }
            try Audit.append(db, at: now, actor: actorID, authority: authority.path, level: actor.sessionLevel,
                             action: lastDay == nil ? "workRelation.revoke" : "workRelation.end", organisation: org,
                             subject: relation.personID, before: ["validUntil": relation.validUntil.iso],
                             after: ["workRelation": "\(id)", "validUntil": lastDay?.iso ?? ""])
        }
    }
}
