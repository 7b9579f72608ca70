import Foundation
import GRDB
import Storage

/// What needs a manager's attention in one organisation (§14.3 (b), E11, E16).
public struct OrganisationReport: Sendable, Codable {
    /// Why a grant is listed for cleanup. The grant row stays; it is simply not effective.
    public enum CleanupReason: String, Sendable, Codable {
        /// The fixed context value was removed from the right definition (E16).
        case contextWithdrawn
        /// The establishment unit used as context is closed in the KBO (E17).
        case establishmentClosed
        /// The right definition itself was withdrawn.
        case rightWithdrawn
    }

    /// A current appointment whose appointer no longer holds a role that may give it (E11).
    /// Under the default policy it stays effective; it is flagged, not ended (§14.3).
    public struct FlaggedAppointment: Sendable, Codable, Hashable {
        public let appointmentID: Int64
        public let role: ManagerRole
        public let holder: PersonID
        public let appointedBy: PersonID?
    }

    public struct CleanupGrant: Sendable, Codable, Hashable {
        public let grantID: Int64
        public let person: PersonID
        public let application: String
        public let right: String
        public let context: String?
        public let reason: CleanupReason
    }

    public let organisation: KBONumber
    public let day: LocalDate
    public let appointedByFormerManagers: [FlaggedAppointment]
    public let grantsToCleanUp: [CleanupGrant]
}

/// One entry of the change feed: an audit event that may change what someone may do.
public struct RightsChange: Sendable, Codable, Hashable {
    public let seq: Int64
    public let at: Date
    public let action: String
    public let organisation: String?
    /// The person whose rights changed, when one person is concerned.
    public let subject: PersonID?
}

extension RightsService {
    /// The rights a manager may hand out for an organisation now ("Rechten filteren", §7.1):
    /// active definitions, minus those needing an owner approval the organisation lacks (E14:
    /// not listed). Fixed contexts list their active values; establishment contexts the
    /// organisation's active establishment units.
    /// - Throws: `notAManager` (the §5 text) unless the actor is WV, HTB, HLB or LB-VO of the
    ///   organisation; `organisationInactive`.
    public func grantableRights(organisation: KBONumber, by actor: Actor, at instant: Date? = nil) throws -> [RightDefinition] {
        let day = LocalDate(instant ?? clock.now())
        return try database.read { db in
            let org = organisation.digits
            _ = try requireManager(db, actor: actor, organisation: org, day: day)
            var result: [RightDefinition] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT application, code, label, description, context_kind, requires_owner_approval FROM right_definition
                WHERE active = 1 ORDER BY application, code
                """) {
                let application: String = row["application"]
                let requiresApproval: Bool = row["requires_owner_approval"]
                if requiresApproval, !(try Effective.approvalCurrent(db, application: application, organisation: org, day: day)) { continue }
                let kind = ContextKind(rawValue: row["context_kind"]) ?? .none
                let code: String = row["code"]
                let values: [String]
                switch kind {
                case .none:
                    values = []
                case .fixed:
                    values = try String.fetchAll(db, sql: """
                        SELECT value FROM right_context_value WHERE application = ? AND right_code = ? AND active = 1 ORDER BY value
                        """, arguments: [application, code])
                case .establishments:
                    values = try String.fetchAll(db, sql: "SELECT number FROM establishment WHERE enterprise = ? AND active = 1 ORDER BY number",
                                                 arguments: [org])
                }
                result.append(RightDefinition(application: application, code: code, label: row["label"], description: row["description"],
                                              contextKind: kind, contextValues: values, requiresOwnerApproval: requiresApproval))
            }
            return result
        }
    }

    /// The organisation report for its managers: appointments made by people who are no longer
    /// managers (E11, §14.3 (b)) and current grants that are not effective any more because
    /// their context or right was withdrawn (E16, E17).
    public func report(organisation: KBONumber, by actor: Actor, at instant: Date? = nil) throws -> OrganisationReport {
        let day = LocalDate(instant ?? clock.now())
        return try database.read { db in
            let org = organisation.digits
            _ = try requireManager(db, actor: actor, organisation: org, day: day)
            var flagged: [OrganisationReport.FlaggedAppointment] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT id, person_id, role, appointed_by FROM appointment WHERE organisation = ? AND revoked_at IS NULL
                  AND valid_from <= ? AND (valid_until IS NULL OR valid_until >= ?) ORDER BY id
                """, arguments: [org, day.iso, day.iso]) {
                guard let role = ManagerRole(rawValue: row["role"]) else { continue }
                let appointer = (row["appointed_by"] as Int64?).map(PersonID.init)
                let allowed = RightsService.appointers(of: role)
                let stillManager = try appointer.map { person in
                    try Authorities.held(db, person: person, organisation: org, day: day, policy: policy).contains { allowed.contains($0.kind) }
                } ?? false
                if !stillManager {
                    flagged.append(.init(appointmentID: row["id"], role: role, holder: PersonID(row["person_id"]), appointedBy: appointer))
                }
            }
            var cleanup: [OrganisationReport.CleanupGrant] = []
            for row in try Row.fetchAll(db, sql: """
                SELECT g.id, g.person_id, g.application, g.right_code, g.context, d.context_kind, d.active
                FROM right_grant g JOIN right_definition d ON d.application = g.application AND d.code = g.right_code
                WHERE g.organisation = ? AND g.revoked_at IS NULL AND g.valid_until >= ? ORDER BY g.id
                """, arguments: [org, day.iso]) {
                let application: String = row["application"], right: String = row["right_code"], context: String? = row["context"]
                var reason: OrganisationReport.CleanupReason?
                if !(row["active"] as Bool) {
                    reason = .rightWithdrawn
                } else if let context {
                    switch ContextKind(rawValue: row["context_kind"]) ?? .none {
                    case .fixed:
                        if !(try Effective.contextValueActive(db, application: application, right: right, value: context)) { reason = .contextWithdrawn }
                    case .establishments:
                        if !(try Effective.establishmentActive(db, number: context, enterprise: org)) { reason = .establishmentClosed }
                    case .none:
                        reason = .contextWithdrawn
                    }
                }
                if let reason {
                    cleanup.append(.init(grantID: row["id"], person: PersonID(row["person_id"]), application: application, right: right,
                                         context: context, reason: reason))
                }
            }
            return OrganisationReport(organisation: organisation, day: day, appointedByFormerManagers: flagged, grantsToCleanUp: cleanup)
        }
    }

    /// The change feed (INV-17): audit events after `seq`, oldest first. Applications and the
    /// session service poll it and re-evaluate the rights of each `subject` (and of everyone in
    /// `organisation` when no subject is given), so a revocation reaches them without waiting
    /// for a token to expire. Evaluation itself never caches (INV-5).
    public func changes(after seq: Int64, limit: Int = 1000) throws -> [RightsChange] {
        try database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT seq, at, action, organisation, subject_person_id FROM audit_event WHERE seq > ? ORDER BY seq LIMIT ?
                """, arguments: [seq, max(1, limit)]).map { row in
                RightsChange(seq: row["seq"], at: Audit.instant(row["at"]) ?? Date(timeIntervalSince1970: 0), action: row["action"],
                             organisation: row["organisation"], subject: (row["subject_person_id"] as Int64?).map(PersonID.init))
            }
        }
    }
}
