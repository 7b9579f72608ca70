/// The outcome of one check on one key.
public struct KeyCheckResult: Sendable, Codable, Equatable {
    /// Stable identifier, e.g. `rsa.size`, `rsa.roca`, `ec.point` (see ``KeyStrengthChecker``).
    public let id: String
    /// True when the key passes this check.
    public let passed: Bool
    /// What was found, in words (never private material; factors are only described by size).
    public let detail: String

    public init(id: String, passed: Bool, detail: String) {
        self.id = id
        self.passed = passed
        self.detail = detail
    }
}

/// Until when a key is acceptable under a profile.
public enum KeyLifetime: Sendable, Codable, Equatable, CustomStringConvertible {
    /// Broken or refused outright.
    case never
    /// Acceptable through the end of this year.
    case through(year: Int)
    /// The profile sets no end date for this key.
    case noEndDate

    public var description: String {
        switch self {
        case .never: "never"
        case .through(let year): "through \(year)"
        case .noEndDate: "no end date"
        }
    }
}

/// A strength verdict for one public key under one policy profile.
public struct KeyVerdict: Sendable, Codable {
    /// What the key is, e.g. `RSA-2048 e=65537` or `EC P-384`.
    public let key: String
    /// Every check run, in a fixed order.
    public let checks: [KeyCheckResult]
    /// The profile's short name (`nist`, `bsi`, `anssi`).
    public let profile: String
    /// The document behind the profile.
    public let profileDocument: String
    /// The year the verdict was made for.
    public let year: Int
    /// Until when the key is acceptable under the profile (``KeyLifetime/never`` when a check fails).
    public let lifetime: KeyLifetime
    /// True when every check passes and the key is acceptable in ``year``.
    public let isAcceptable: Bool

    /// The last acceptable year, or nil when there is no end date or the key is never acceptable.
    public var lastAcceptableYear: Int? {
        if case .through(let year) = lifetime { year } else { nil }
    }

    /// The checks that failed.
    public var failures: [KeyCheckResult] { checks.filter { !$0.passed } }
}
