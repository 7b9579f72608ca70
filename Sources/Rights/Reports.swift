import Foundation
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
            for definition in try RightDefinitionRecord.allActive(in: db) {
                let application = definition.application
                if definition.requiresOwnerApproval,
                   !(try OwnerApprovalRecord.isCurrent(application: application, organisation: org, on: day, in: db)) { continue }
                let kind = definition.kind
                let values: [String]
                switch kind {
                case .none:
                    values = []
                case .fixed:
                    values = try RightContextValueRecord.activeValues(application: application, right: definition.code, in: db)
                case .establishments:
                    values = try EstablishmentRecord.activeNumbers(of: org, in: db)
                }
                result.append(RightDefinition(application: application, code: definition.code, label: definition.label,
                                              description: definition.description, contextKind: kind, contextValues: values,
                                              requiresOwnerApproval: definition.requiresOwnerApproval))
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
            for appointment in try AppointmentRecord.current(organisation: org, on: day, in: db) {
                guard let role = ManagerRole(rawValue: appointment.role), let id = appointment.id else { continue }
                let appointer = appointment.appointedBy
                let allowed = RightsService.appointers(of: role)
                let stillManager = try appointer.map { person in
                    try Authorities.held(db, person: person, organisation: org, day: day, policy: policy).contains { allowed.contains($0.kind) }
                } ?? false
                if !stillManager {
                    flagged.append(.init(appointmentID: id, role: role, holder: appointment.personID, appointedBy: appointer))
                }
            }
            var cleanup: [OrganisationReport.CleanupGrant] = []
            for grant in try ReportQueries.currentGrants(organisation: org, on: day, in: db) {
                let application = grant.application, right = grant.right, context = grant.context
                var reason: OrganisationReport.CleanupReason?
                if !grant.definitionActive {
                    reason = .rightWithdrawn
                } else if let context {
                    switch grant.contextKind {
                    case .fixed:
                        if !(try RightContextValueRecord.isActive(application: application, right: right, value: context, in: db)) {
                            reason = .contextWithdrawn
                        }
                    case .establishments:
                        if !(try EstablishmentRecord.isActive(context, of: org, in: db)) { reason = .establishmentClosed }
                    case .none:
                        reason = .contextWithdrawn
                    }
                }
                if let reason {
                    cleanup.append(.init(grantID: grant.grantID, person: grant.person, application: application, right: right,
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
            try AuditEventRecord.after(seq: seq, limit: max(1, limit), in: db).map { event in
                RightsChange(seq: event.seq ?? 0, at: Audit.instant(event.at) ?? Date(timeIntervalSince1970: 0), action: event.action,
                             organisation: event.organisation, subject: event.subjectPersonID)
            }
        }
    }
}
