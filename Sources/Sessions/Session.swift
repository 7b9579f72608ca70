import Foundation
import OneTimeCodes

/// A live authenticated session. It never holds the bearer token: only the holder has it, the
/// store keeps its SHA-256.
public struct Session: Sendable, Equatable, Codable {
    /// A random public identifier for audit and revocation (not a credential).
    public let id: String
    /// The person's national register or BIS number (11 digits); nil for an unlinked account.
    public let person: String?
    /// Given names and surname as proven (from the eID certificate); nil when unknown.
    public let givenName: String?
    public let familyName: String?
    /// The method of the strongest authentication so far.
    public let method: AuthMethod
    /// The session's level (raised by step-up, never lowered).
    public let level: AssuranceLevel
    /// When the authentication behind ``method`` and ``level`` happened: a step-up with a weaker
    /// factor, or an equal one of another method, leaves it as it was (it proved nothing newer).
    public let authenticatedAt: Date
    /// When the person last proved themselves with the eID card in this session (nil: never).
    /// Key activation, replacement and removal need it within 10 minutes (§10.4), whatever came since.
    public let cardAuthenticatedAt: Date?
    public let createdAt: Date
    public let lastUsedAt: Date
    /// Absolute end, whatever the activity.
    public let expiresAt: Date
    /// Seconds of inactivity after which the session ends.
    public let idleTimeout: TimeInterval
    /// For kiosk sessions: the card the session is bound to (ends when that card is removed).
    public let cardBinding: String?
    /// The organisation the person acts for, once chosen.
    public let organisation: String?
    /// The application the organisation was chosen for.
    public let application: String?

    /// Whether the last authentication happened within `interval` before `instant`.
    public func isFresh(within interval: TimeInterval, at instant: Date) -> Bool {
        instant.timeIntervalSince(authenticatedAt) <= interval
    }

    /// This session without its organisation and application (the right behind them ended).
    func withoutOrganisation() -> Session {
        Session(id: id, person: person, givenName: givenName, familyName: familyName, method: method, level: level,
                authenticatedAt: authenticatedAt, cardAuthenticatedAt: cardAuthenticatedAt, createdAt: createdAt, lastUsedAt: lastUsedAt,
                expiresAt: expiresAt, idleTimeout: idleTimeout, cardBinding: cardBinding, organisation: nil, application: nil)
    }

    /// The session's authority to activate, replace or remove the person's keys: the last card
    /// login of the session, at the card's level; nil without a person or a card login.
    /// OneTimeCodes decides whether it is recent enough.
    public var activationAuthority: ActivationAuthority? {
        guard let person, let cardAuthenticatedAt else { return nil }
        return ActivationAuthority(person: person, fasLevel: AuthMethod.eidPin.defaultLevel.fasLevel, authenticatedAt: cardAuthenticatedAt)
    }
}

/// A session just created (or stepped up), with the bearer token the holder must keep.
/// The token is shown once: it is not stored and not derivable from the session.
public struct IssuedSession: Sendable {
    public let session: Session
    /// The bearer token (43 characters of base64url, 256 bits).
    public let token: String
}

/// An eID login transaction: the server's random challenge bound to this transaction and
/// application. The client has the card sign ``toBeSigned`` exactly (the card hashes it with
/// SHA-256 for RSA or SHA-384 for EC).
public struct EIDChallenge: Sendable, Equatable, Codable {
    /// The transaction identifier (32 hex characters).
    public let transactionID: String
    /// The application the login is for.
    public let application: String
    /// The random challenge (32 bytes).
    public let challenge: [UInt8]
    /// When the challenge stops being accepted.
    public let expiresAt: Date

    /// The bytes the card signs: a fixed label, the transaction, the application and the challenge,
    /// so a signature made for one transaction or application is useless for any other.
    public var toBeSigned: [UInt8] {
        Self.message(transactionID: transactionID, application: application, challenge: challenge)
    }

    static func message(transactionID: String, application: String, challenge: [UInt8]) -> [UInt8] {
        Array("sleutel-eid-login-v1\n\(transactionID)\n\(application)\n".utf8) + challenge
    }
}

/// What an application requires of a session (spec §11.2): a minimum level and, optionally,
/// the only methods it accepts.
public struct AccessRule: Sendable, Equatable {
    public var minimumLevel: AssuranceLevel
    /// nil: every method reaching the level is accepted.
    public var acceptedMethods: Set<AuthMethod>?

    public init(minimumLevel: AssuranceLevel, acceptedMethods: Set<AuthMethod>? = nil) {
        self.minimumLevel = minimumLevel
        self.acceptedMethods = acceptedMethods
    }
}

/// Lifetimes and limits of the session service.
public struct SessionsConfiguration: Sendable {
    /// Seconds an eID challenge stays usable (default 120).
    public var challengeLifetime: TimeInterval = 120
    /// Absolute session lifetime in seconds (default 8 hours).
    public var absoluteLifetime: TimeInterval = 8 * 3600
    /// Idle timeout in seconds (default 30 minutes).
    public var idleTimeout: TimeInterval = 30 * 60
    /// Idle timeout of card-bound kiosk sessions (default 5 minutes): a kiosk left alone ends sooner.
    public var kioskIdleTimeout: TimeInterval = 5 * 60
    /// Access rules per application id; an application without one needs ``defaultRule``.
    public var rules: [String: AccessRule] = [:]
    /// The rule of applications not listed (default: substantial, any method; spec §11.2 rule 4).
    public var defaultRule = AccessRule(minimumLevel: .substantial)
    /// Seconds within which an authentication counts as fresh for sensitive acts (default 600, §10.4).
    public var freshness: TimeInterval = 600
    /// Seconds a security-code login transaction stays usable after the password (default 300,
    /// the lifetime of an SMS or e-mail code).
    public var codeLoginLifetime: TimeInterval = 300
    /// Wrong codes one security-code login transaction tolerates before it is spent (default 3).
    public var codeAttempts = 3
    /// The level of a password + e-mail code session (default 350, spec §10.3: configurable).
    public var emailCodeLevel = AuthMethod.emailCode.defaultLevel
    /// Issuing CA certificates (DER) offered to Trust with a Web eID token that carries none (the
    /// Web eID application sends only the authentication certificate); Trust still builds and
    /// checks the path to the roots.
    public var knownIntermediates: [[UInt8]] = []

    /// The level `method` yields, with the configurable e-mail code level applied.
    public func level(of method: AuthMethod) -> AssuranceLevel {
        method == .emailCode ? emailCodeLevel : method.defaultLevel
    }

    public init() {}

    /// The rule for `application`.
    public func rule(for application: String) -> AccessRule { rules[application] ?? defaultRule }
}

/// The one clock of the session service; each operation reads it once.
public struct SessionsClock: Sendable {
    private let source: @Sendable () -> Date

    public init(_ source: @escaping @Sendable () -> Date) { self.source = source }

    public func now() -> Date { source() }

    /// The system clock.
    public static let system = SessionsClock { Date() }
}
