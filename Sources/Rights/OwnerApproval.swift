import Foundation
import GRDB
import Storage

/// Owner approval of organisations for rights that need it (§7.1, INV-7).
extension RightsService {

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
}
