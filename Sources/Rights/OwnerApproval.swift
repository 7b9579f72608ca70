import Foundation
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
            let id = try OwnerApprovalRecord.insert(OwnerApprovalRecord(
                application: application, organisation: organisation.digits, validFrom: validFrom, validUntil: validUntil,
                approvedBy: actorID, createdAt: Audit.text(now)), in: db)
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
            guard let approval = try OwnerApprovalRecord.find(id: id, in: db) else {
                throw RightsError(.notFound, "unknown approval")
            }
            let actorID = try requireOwner(db, actor: actor, application: approval.application)
            try OwnerApprovalRecord.revoke(id: id, at: Audit.text(now), by: actorID, in: db)
            try Audit.append(db, at: now, actor: actorID, authority: "owner:\(approval.application)", level: actor.sessionLevel,
                             action: "approval.withdraw", organisation: approval.organisation, subject: nil, after: ["approval": "\(id)"])
        }
    }
}
