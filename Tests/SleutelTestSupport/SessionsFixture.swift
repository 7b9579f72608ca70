import CryptoCore
import Foundation
import OneTimeCodes
import Rights
import Sessions
import Storage
import Testing
import Transport
import Trust

/// A settable clock for tests.
public final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var instant: Date
    public init(_ instant: Date) { self.instant = instant }
    public var now: Date {
        get { lock.withLock { instant } }
        set { lock.withLock { instant = newValue } }
    }
    public func advance(_ seconds: TimeInterval) { now = now.addingTimeInterval(seconds) }
    public var sessionsClock: SessionsClock { SessionsClock { [self] in self.now } }
    public var rightsClock: RightsClock { RightsClock { [self] in self.now } }
}

/// A test card: its authentication certificate, issuing CA and private key from Hardware/test-pki.
public struct TestCard: Sendable {
    public let certificate: [UInt8]
    public let intermediates: [[UInt8]]
    public let key: PrivateKey

    public static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Hardware/test-pki")

    /// `person` is a folder of Hardware/test-pki/persons; `ec` picks the EC hierarchy.
    public init(_ person: String, ec: Bool = false, foreigner: Bool = false) throws {
        func text(_ path: String) throws -> String { try String(contentsOf: Self.directory.appendingPathComponent(path), encoding: .utf8) }
        certificate = try Certificate(pem: text("persons/\(person)/auth.crt")).derEncoded
        let ca = "\(ec ? "ec" : "rsa")/\(foreigner ? "foreigner" : "citizen")-ca.crt"
        intermediates = [try Certificate(pem: text(ca)).derEncoded]
        key = try PrivateKey(pem: text("persons/\(person)/auth.key"))
    }

    /// What the card does after PIN verification: sign the bytes (SHA-256 PKCS#1 on RSA, SHA-384 ECDSA on EC).
    public func sign(_ message: [UInt8]) throws -> [UInt8] {
        try key.sign(data: message, algorithm: key.kind.challengeDigest)
    }

    public static func roots() throws -> [Certificate] {
        try ["rsa/root.crt", "ec/root.crt"].map {
            try Certificate(pem: String(contentsOf: directory.appendingPathComponent($0), encoding: .utf8))
        }
    }
}

/// The national register number in the specimen cards' certificates.
public let specimenRRN = "71715100070"

/// A session service over a fresh database with the test roots.
public struct SessionsFixture: Sendable {
    public let clock: TestClock
    public let database: Storage.Database
    public let rights: RightsService
    public let service: SessionService
    /// The OneTimeCodes service of the security-code login (on the same database and clock).
    public let codes: OneTimeCodesService

    /// - Parameters:
    ///   - revocation: a checker, or nil to run without revocation (unit tests without responders).
    ///   - codeSenders: how SMS and e-mail codes leave (none: sending fails with `delivery`).
    ///   - at: the start instant (default 2026-11-22 12:00 UTC, inside the test certificates' validity).
    public init(revocation: RevocationChecker? = nil, path: String? = nil, extraMigrations: [StorageMigration] = [],
                configuration: SessionsConfiguration = SessionsConfiguration(),
                codeSenders: [OutgoingCode.Channel: any CodeSender] = [:], codesConfiguration: OneTimeCodesConfiguration = .fastForTests,
                at start: Date = Date(timeIntervalSince1970: 1_795_348_800), production: Bool = false) throws {
        let clock = TestClock(start)
        self.clock = clock
        let registry = MigrationRegistry(SessionsSchema.migrations, RightsSchema.migrations, OneTimeCodesSchema.migrations, extraMigrations)
        database = try path.map { try Storage.Database.open(path: $0, migrations: registry) } ?? Storage.Database.inMemory(migrations: registry)
        rights = RightsService(database: database, clock: clock.rightsClock)
        let trust = production ? try TrustConfiguration.production() : try TrustConfiguration.test(roots: TestCard.roots())
        let verifier = EIDProofVerifier(trust: TrustService(configuration: trust, revocation: revocation))
        let keyring = try SecretKeyring(keys: [(id: "test1", bytes: Array(repeating: 7, count: 32))])
        codes = OneTimeCodesService(database: database, keyring: keyring, configuration: codesConfiguration, senders: codeSenders,
                                    clock: { clock.now })
        service = SessionService(database: database, trust: verifier, rights: rights, codes: codes, configuration: configuration,
                                 clock: clock.sessionsClock)
    }

    /// The activation authority of a fresh eID session of `session`'s person.
    public func authority(_ session: Session) -> ActivationAuthority {
        ActivationAuthority(person: session.person ?? "", fasLevel: session.level.fasLevel, authenticatedAt: session.authenticatedAt)
    }

    /// A full eID login with `card`.
    public func login(_ card: TestCard, application: String = "eloket", cardBinding: String? = nil) throws -> IssuedSession {
        let challenge = try service.beginEIDLogin(application: application, cardBinding: cardBinding)
        return try service.completeEIDLogin(transactionID: challenge.transactionID, signature: card.sign(challenge.toBeSigned),
                                            certificate: card.certificate, intermediates: card.intermediates)
    }
}

/// Runs `body` expecting a ``SessionsError`` with `code`; returns it.
@discardableResult
public func expectSessionsError<R>(_ code: SessionsError.Code, sourceLocation: SourceLocation = #_sourceLocation,
                            _ body: () throws -> R) -> SessionsError? {
    do {
        _ = try body()
        Issue.record("expected SessionsError.\(code), got success", sourceLocation: sourceLocation)
    } catch let error as SessionsError {
        #expect(error.code == code, "\(error)", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("expected SessionsError.\(code), got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// Whether the real test-PKI OCSP/CRL responders run (Tools/pki-responders.sh, SLEUTEL_PKI_RESPONDERS=1 in Tools/test.sh).
public let respondersEnabled: Bool = {
    if ProcessInfo.processInfo.environment["SLEUTEL_PKI_RESPONDERS"] == "1" { return true }
    let probe = HTTPClient(configuration: .init(connectTimeout: 1, totalTimeout: 3))
    return (try? probe.get("http://127.0.0.1:8890/README.md"))?.status == 200
}()

extension OneTimeCodesConfiguration {
    /// Defaults with a cheap scrypt cost (2^10), so password tests run fast.
    public static var fastForTests: OneTimeCodesConfiguration {
        var configuration = OneTimeCodesConfiguration()
        configuration.scryptLogN = 10
        return configuration
    }
}

/// A code sender that keeps what it would send, for tests of the flows above delivery (the real
/// SMTP and SMS gateway senders are tested against the loopback sinks).
public final class RecordingCodeSender: CodeSender, @unchecked Sendable {
    private let lock = NSLock()
    private var sent: [OutgoingCode] = []
    public init() {}
    public func send(_ message: OutgoingCode) async throws(OneTimeCodesError) { lock.withLock { sent.append(message) } }
    /// Everything sent so far, oldest first.
    public var messages: [OutgoingCode] { lock.withLock { sent } }
}
