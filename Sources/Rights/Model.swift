import Foundation

/// Internal person key. The INSZ is an attribute of the person, never stored elsewhere (§6.1).
public struct PersonID: Hashable, Sendable, Codable, CustomStringConvertible {
    public let rawValue: Int64
    public init(_ rawValue: Int64) { self.rawValue = rawValue }
    public var description: String { "person#\(rawValue)" }
    public init(from decoder: any Decoder) throws { rawValue = try decoder.singleValueContainer().decode(Int64.self) }
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A person who may hold rights: identified by a national register or BIS number (INV-2).
public struct Person: Hashable, Sendable, Codable {
    public let id: PersonID
    public let givenName: String?
    public let familyName: String?

    public var displayName: String {
        [givenName, familyName].compactMap { $0 }.joined(separator: " ")
    }
}

/// Roles given by appointment (§2, §3). The Flemish and federal local administrators are kept
/// in separate namespaces (`flemish.localAdmin`, `federal.localAdmin`), never one `localAdmin`.
/// The legal representative (WV) is not an appointment: it comes from the representatives feed.
public enum ManagerRole: String, Sendable, Codable, CaseIterable {
    /// Hoofdtoegangsbeheerder (BTB; honoured by the Flemish user management). Source `btb`.
    case headAccessManager = "flemish.htb"
    /// Toegangsbeheerder for one federal application domain (BTB). Gives no authority in the
    /// Flemish user management: the sources do not say it does, so Sleutel reads it as no [I].
    case accessManager = "flemish.tb"
    /// Hoofd Lokale Beheerder (IDM).
    case headLocalAdministrator = "flemish.hlb"
    /// Lokale Beheerder of the Flemish IDM (LB-VO): same powers as the HLB except naming managers [I].
    case flemishLocalAdministrator = "flemish.localAdmin"
    /// Verantwoordelijke Toegangen Entiteit (federal).
    case vte = "federal.vte"
    /// Medeverantwoordelijke Toegangen Entiteit.
    case coVte = "federal.coVte"
    /// Federal Lokale Beheerder (LB-F), for one activated Hoedanigheid.
    case federalLocalAdministrator = "federal.localAdmin"
    /// Lokale Medebeheerder, for one activated Hoedanigheid.
    case lmb = "federal.lmb"

    /// The source tag stored with the appointment.
    var source: String {
        switch self {
        case .headAccessManager, .accessManager: "btb"
        case .headLocalAdministrator, .flemishLocalAdministrator: "idm"
        case .vte, .coVte, .federalLocalAdministrator, .lmb: "portal"
        }
    }

    /// Dutch label as Mijn Profiel shows it.
    public var label: String {
        switch self {
        case .headAccessManager: "Hoofdtoegangsbeheerder"
        case .accessManager: "Toegangsbeheerder"
        case .headLocalAdministrator: "Hoofd Lokale beheerder"
        case .flemishLocalAdministrator: "Lokale beheerder"
        case .vte: "Verantwoordelijke Toegangen Entiteit"
        case .coVte: "Medeverantwoordelijke Toegangen Entiteit"
        case .federalLocalAdministrator: "Lokale Beheerder"
        case .lmb: "Lokale Medebeheerder"
        }
    }

    /// Federal local administrators are named for one Hoedanigheid.
    public var needsCapacity: Bool { self == .federalLocalAdministrator || self == .lmb }
}

/// What an actor's power to act for an organisation rests on.
public enum AuthorityKind: String, Sendable, Codable, Hashable {
    case legalRepresentative = "wv"
    case headAccessManager = "flemish.htb"
    case accessManager = "flemish.tb"
    case headLocalAdministrator = "flemish.hlb"
    case flemishLocalAdministrator = "flemish.localAdmin"
    case vte = "federal.vte"
    case coVte = "federal.coVte"
    case federalLocalAdministrator = "federal.localAdmin"
    case lmb = "federal.lmb"

    init(_ role: ManagerRole) { self = AuthorityKind(rawValue: role.rawValue)! }
}

/// One authority held at an instant: the kind and the record it rests on
/// (a mandate id for a WV, an appointment id otherwise). `path` is what the audit records.
public struct HeldAuthority: Hashable, Sendable, Codable {
    public let kind: AuthorityKind
    public let recordID: Int64
    public var path: String { "\(kind.rawValue)#\(recordID)" }
}

/// Who performs a write: the authenticated person and the FAS level of their session.
/// Rights never raise the level and the level never grants rights (INV-12).
public struct Actor: Sendable {
    public let person: INSZ
    public let sessionLevel: Int
    public init(person: INSZ, sessionLevel: Int) {
        self.person = person
        self.sessionLevel = sessionLevel
    }
}

/// Work relation categories. The sources name these four; others may be configured later.
public enum WorkRelationCategory: String, Sendable, Codable, CaseIterable {
    case civilServant = "Ambtenaar"
    case permanentEmployee = "Vaste Medewerker"
    case externalEmployee = "Externe Medewerker"
    case occasionalEmployee = "Occasionele Medewerker"
}

/// Flemish target groups (doelgroepen).
public enum TargetGroup: String, Sendable, Codable, CaseIterable {
    case BUR, GID, EA, LB, OV, VER
}

/// How a right's context values are defined (§7.1).
public enum ContextKind: String, Sendable, Codable {
    /// The right takes no context.
    case none
    /// A fixed list (e.g. Indiener, Medewerker).
    case fixed
    /// The organisation's current establishment units (service vouchers).
    case establishments
}

/// An application that relies on Sleutel for organisation rights.
public struct ApplicationDefinition: Sendable, Codable, Hashable {
    public var id: String
    public var name: String
    /// FAS level a session needs (§11); default 400.
    public var minimumAssurance: Int
    /// The only keys the application accepts (`eid`, `totp`, `sms`, `email`, `password`), nil:
    /// every key that reaches ``minimumAssurance``. Sessions maps the names to methods.
    public var acceptedKeys: [String]?
    /// §4: a valid WV mandate counts as holding `baseRight`.
    public var legalRepresentativeHasAccess: Bool
    /// The right a WV gets automatically (required when `legalRepresentativeHasAccess`).
    public var baseRight: String?
    /// Context of the automatic WV right, if the application defines one.
    public var legalRepresentativeContext: String?
    /// The rights administration application (Gebruikersbeheer): access rests on manager
    /// authority (WV, HTB, HLB, LB-VO), not on grants (§5, INV-9).
    public var isRightsAdministration: Bool

    public init(id: String, name: String, minimumAssurance: Int = 400, acceptedKeys: [String]? = nil, legalRepresentativeHasAccess: Bool = false,
                baseRight: String? = nil, legalRepresentativeContext: String? = nil, isRightsAdministration: Bool = false) {
        self.id = id
        self.name = name
        self.minimumAssurance = minimumAssurance
        self.acceptedKeys = acceptedKeys
        self.legalRepresentativeHasAccess = legalRepresentativeHasAccess
        self.baseRight = baseRight
        self.legalRepresentativeContext = legalRepresentativeContext
        self.isRightsAdministration = isRightsAdministration
    }
}

/// A right of an application (§7.1).
public struct RightDefinition: Sendable, Codable, Hashable {
    public var application: String
    public var code: String
    public var label: String
    public var description: String
    public var contextKind: ContextKind
    /// Allowed values when `contextKind == .fixed`.
    public var contextValues: [String]
    public var requiresOwnerApproval: Bool

    public init(application: String, code: String, label: String, description: String = "", contextKind: ContextKind = .none,
                contextValues: [String] = [], requiresOwnerApproval: Bool = false) {
        self.application = application
        self.code = code
        self.label = label
        self.description = description
        self.contextKind = contextKind
        self.contextValues = contextValues
        self.requiresOwnerApproval = requiresOwnerApproval
    }
}

/// Input of a werkrelatie (§6.1). Both dates are required (INV-6).
public struct WorkRelationInput: Sendable {
    public var person: INSZ
    public var organisation: KBONumber
    public var targetGroup: TargetGroup
    public var category: WorkRelationCategory
    public var phone: String
    public var email: String
    public var validFrom: LocalDate
    public var validUntil: LocalDate
    public var reason: String?

    public init(person: INSZ, organisation: KBONumber, targetGroup: TargetGroup = .EA, category: WorkRelationCategory,
                phone: String, email: String, validFrom: LocalDate, validUntil: LocalDate, reason: String? = nil) {
        self.person = person
        self.organisation = organisation
        self.targetGroup = targetGroup
        self.category = category
        self.phone = phone
        self.email = email
        self.validFrom = validFrom
        self.validUntil = validUntil
        self.reason = reason
    }
}

/// Input of a gebruikersrecht (§7.1): one row per context value (INV-8).
public struct GrantInput: Sendable {
    public var person: INSZ
    public var organisation: KBONumber
    public var application: String
    public var right: String
    public var context: String?
    public var validFrom: LocalDate
    public var validUntil: LocalDate

    public init(person: INSZ, organisation: KBONumber, application: String, right: String, context: String? = nil,
                validFrom: LocalDate, validUntil: LocalDate) {
        self.person = person
        self.organisation = organisation
        self.application = application
        self.right = right
        self.context = context
        self.validFrom = validFrom
        self.validUntil = validUntil
    }
}

/// Result of a grant: the new row and any warnings (INV-4: dates beyond the werkrelatie).
public struct GrantResult: Sendable {
    public let grantID: Int64
    public let warnings: [String]
}

/// Federal role-management contexts (§3.1).
public enum RoleContext: String, Sendable, Codable, CaseIterable {
    case business, official, independent
}

/// Status of a dated item at an instant, as Mijn Profiel shows it.
public enum ItemStatus: String, Sendable, Codable {
    case active, future, expired, revoked

    static func of(_ validity: Validity, revoked: Bool, on day: LocalDate) -> ItemStatus {
        if revoked { return .revoked }
        if day < validity.validFrom { return .future }
        if let until = validity.validUntil, day > until { return .expired }
        return .active
    }
}
