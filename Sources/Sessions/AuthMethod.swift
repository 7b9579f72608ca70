/// How a person proved who they are (spec §10.3). Each method has a default FAS level; the
/// level a session carries comes from the method actually used, never from the credential's claim.
public enum AuthMethod: String, Sendable, Codable, CaseIterable {
    /// eID card + PIN: PIN-backed signature by the card's authentication key, chain, revocation
    /// and key strength checked by Trust.
    case eidPin
    /// Password + code from an authenticator app (TOTP).
    case totpApp
    /// Password + code by SMS.
    case smsCode
    /// Password + code by e-mail.
    case emailCode
    /// Password of an account linked to a national register number.
    case password
    /// Password of a self-registered account without a national register number.
    case passwordUnlinked

    /// The default FAS level (spec §10.3). The e-mail code sits at 350, below substantial: no
    /// public source places it at 400, so the conservative reading is taken.
    public var defaultLevel: AssuranceLevel {
        switch self {
        case .eidPin: AssuranceLevel(500)
        case .totpApp, .smsCode: AssuranceLevel(400)
        case .emailCode: AssuranceLevel(350)
        case .password: AssuranceLevel(200)
        case .passwordUnlinked: AssuranceLevel(100)
        }
    }

    /// The Flemish ACM authentication-method URN (`urn:be:vlaanderen:authmech:…`), nil where
    /// ACM lists none (e-mail code).
    public var acmURN: String? {
        switch self {
        case .eidPin: "urn:be:vlaanderen:authmech:eid"
        case .totpApp: "urn:be:vlaanderen:authmech:csamtotp"
        case .smsCode: "urn:be:vlaanderen:authmech:csamsms"
        case .emailCode: nil
        case .password: "urn:be:vlaanderen:authmech:csampassword"
        case .passwordUnlinked: "urn:be:vlaanderen:authmech:csamselfreg"
        }
    }

    /// Whether the method yields a national register number (organisation rights need one, INV-2).
    public var isLinkedToPerson: Bool { self != .passwordUnlinked }

    /// The key the method uses, as an application's accepted keys name it: `eid`, `totp`, `sms`,
    /// `email` or `password` (both password methods).
    public var key: String {
        switch self {
        case .eidPin: "eid"
        case .totpApp: "totp"
        case .smsCode: "sms"
        case .emailCode: "email"
        case .password, .passwordUnlinked: "password"
        }
    }

    /// Every key name an application may accept.
    public static let keys = ["eid", "totp", "sms", "email", "password"]

    /// The methods that use the key `key` (none for a name Sleutel does not know).
    public static func methods(forKey key: String) -> [AuthMethod] { allCases.filter { $0.key == key } }
}

/// A level of assurance on the FAS/CSAM scale (100 … 500), comparable.
public struct AssuranceLevel: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The FAS level: 100, 200, 350, 400, 450 or 500.
    public let fasLevel: Int

    public init(_ fasLevel: Int) { self.fasLevel = fasLevel }

    /// eIDAS low: at least 200.
    public static let low = AssuranceLevel(200)
    /// eIDAS substantial: at least 400.
    public static let substantial = AssuranceLevel(400)
    /// eIDAS high: at least 450.
    public static let high = AssuranceLevel(450)

    /// The FAS `acr` value, e.g. `urn:be:fedict:iam:fas:Level500`.
    public var acr: String { "urn:be:fedict:iam:fas:Level\(fasLevel)" }

    /// The eIDAS band the level falls in: "high", "substantial", "low" or "none".
    public var eidasBand: String {
        switch fasLevel {
        case 450...: "high"
        case 400..<450: "substantial"
        case 200..<400: "low"
        default: "none"
        }
    }

    public static func < (lhs: AssuranceLevel, rhs: AssuranceLevel) -> Bool { lhs.fasLevel < rhs.fasLevel }

    public var description: String { "Level\(fasLevel)" }
}
