import Foundation
import GRDB
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
}
