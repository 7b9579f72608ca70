import Foundation
import Storage

/// Tunable defaults of the rights engine (§11.2 rule 4, §14.3).
public struct RightsPolicy: Sendable {
    /// FAS level a session needs for any write in the rights administration (default 400).
    public var administrationMinimumLevel: Int = 400
    /// FAS level to name a head access manager (mirrors BTB: eID or itsme only, INV-14).
    public var headAccessManagerMinimumLevel: Int = 450
    /// Maximum appointment chain depth evaluated under `cascadeOnAppointerLoss` (§14.3, D: 16).
    /// Deeper chains are denied, like evaluation errors.
    public var maximumChainDepth: Int = 16
    public init() {}
}

/// The Rights service: every write checks the actor's authority in the same transaction as the
/// write (INV-11) and appends an audit event (INV-16); every read evaluates against one instant
/// read once from the injected clock (E33).
public final class RightsService: Sendable {
    public let database: Storage.Database
    public let clock: RightsClock
    public let policy: RightsPolicy

    public init(database: Storage.Database, clock: RightsClock = .system, policy: RightsPolicy = RightsPolicy()) {
        self.database = database
        self.clock = clock
        self.policy = policy
    }

    // MARK: - Who may do what (§2.2, §3.2)

    /// The authority kinds that may give `role` (§2.2, §3.2), at write time and, under
    /// `cascadeOnAppointerLoss`, at evaluation time.
    ///
    /// Where the spec marks a cell as inference [I] or ambiguous, the safer (narrower) reading:
    /// - HTB: only the WV or another HTB. An HLB cannot name an HTB [I: the sources name only
    ///   the WV and HTBs as appointers].
    /// - LB-VO (`flemish.localAdmin`): named by WV, HTB or HLB [I for WV and HTB]; it names
    ///   nobody itself [I: "head" administrators name "colleagues", which implies colleagues don't].
    /// - TB: only an HTB names one; a TB has no authority in the Flemish IDM [I: not stated].
    /// - co-VTE: only the VTE. Seed 003's wording that the WV may also name one is ambiguous, so
    ///   a WV must first be (or name himself) VTE.
    /// - LB-F: the VTE or a co-VTE [I: the co-VTE has "the same rights" as the VTE].
    /// - LMB: the LB-F, or the VTE / co-VTE (who name LMBs by activating the Hoedanigheid for
    ///   them) [S for VTE and LB-F, I for co-VTE]; never another LMB (E23).
    static func appointers(of role: ManagerRole) -> Set<AuthorityKind> {
        switch role {
        case .headAccessManager: [.legalRepresentative, .headAccessManager]
        case .accessManager: [.headAccessManager]
        case .headLocalAdministrator: [.legalRepresentative, .headAccessManager, .headLocalAdministrator]
        case .flemishLocalAdministrator: [.legalRepresentative, .headAccessManager, .headLocalAdministrator]
        case .vte: [.legalRepresentative]
        case .coVte: [.vte]
        case .federalLocalAdministrator: [.vte, .coVte]
        case .lmb: [.vte, .coVte, .federalLocalAdministrator]
        }
    }

    /// Manager authority in the Flemish user management: WV, HTB, HLB, LB-VO (§14.1). The LB-VO
    /// creates werkrelaties and grants rights like the HLB [S for managing, I for creating].
    static let flemishManagers: Set<AuthorityKind> = [
        .legalRepresentative, .headAccessManager, .headLocalAdministrator, .flemishLocalAdministrator,
    ]
    /// Who manages federal role assignments: LB-F and LMB only (INV-13). A WV, VTE or co-VTE
    /// does so only when also LB-F [S for WV and VTE, I for the co-VTE: the safer reading].
    static let roleAssignmentManagers: Set<AuthorityKind> = [.federalLocalAdministrator, .lmb]
    /// Who activates a Hoedanigheid.
    static let capacityActivators: Set<AuthorityKind> = [.vte, .coVte]

    /// Self-appointments the sources allow (INV-15); every other self-appointment is refused,
    /// so nobody extends or raises their own role.
    static func selfAppointmentAllowed(_ authority: AuthorityKind, _ role: ManagerRole) -> Bool {
        switch (authority, role) {
        case (.legalRepresentative, .headAccessManager), (.legalRepresentative, .vte),
             (.vte, .federalLocalAdministrator), (.coVte, .federalLocalAdministrator): true
        default: false
        }
    }

    // MARK: - Helpers

    func requireLevel(_ actor: Actor, _ minimum: Int) throws(RightsError) {
        guard actor.sessionLevel >= minimum else {
            throw RightsError(.stepUpRequired, "this action needs a session of level \(minimum)", requiredLevel: minimum)
        }
    }

    func checkPeriod(_ from: LocalDate, _ until: LocalDate?) throws(RightsError) {
        if let until, until < from { throw RightsError(.invalidPeriod, "the end date lies before the start date") }
    }

    /// WV, HTB, HLB or LB-VO of the organisation, valid now (INV-9, INV-11). Anyone else gets
    /// the §5 refusal; the organisation must be active (INV-10).
    func requireManager(_ db: SQLConnection, actor: Actor, organisation: String, day: LocalDate) throws -> (PersonID, HeldAuthority) {
        try Registry.requireActive(db, organisation)
        guard let actorID = try Persons.id(db, actor.person) else { throw RightsError(.notAManager, RightsError.refusalText) }
        let held = try Authorities.held(db, person: actorID, organisation: organisation, day: day, policy: policy)
        guard let authority = held.first(where: { RightsService.flemishManagers.contains($0.kind) }) else {
            throw RightsError(.notAManager, RightsError.refusalText)
        }
        return (actorID, authority)
    }

    func requireOwner(_ db: SQLConnection, actor: Actor, application: String) throws -> PersonID {
        guard let actorID = try Persons.id(db, actor.person),
              try ApplicationOwnerRecord.isOwner(actorID, of: application, in: db) else {
            throw RightsError(.notAnApplicationOwner, "only an owner of the application approves organisations")
        }
        return actorID
    }
}

enum Validation {
    static func phone(_ text: String) throws(RightsError) {
        let digits = text.filter { !" ./-()".contains($0) }
        let body = digits.hasPrefix("+") ? String(digits.dropFirst()) : digits
        guard (8...15).contains(body.count), body.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw RightsError(.invalidInput, "phone number: 8 to 15 digits, optionally starting with +")
        }
    }

    static func email(_ text: String) throws(RightsError) {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !text.contains(" ") else {
            throw RightsError(.invalidInput, "e-mail address is not valid")
        }
    }
}
