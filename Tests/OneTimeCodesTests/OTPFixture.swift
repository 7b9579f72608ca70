import Foundation
import OneTimeCodes
import SleutelTestSupport
import Storage
import Testing

/// A OneTimeCodesService over a fresh SQLite file on disk, a key file beside it and a settable clock.
struct OTPFixture {
    let directory: URL
    let clock: TestClock
    let database: Storage.Database
    let keyPath: String
    let service: OneTimeCodesService

    static let person = "71715100070"

    /// Test defaults: cheap scrypt (N = 2^10) so password tests stay fast.
    static var testConfiguration: OneTimeCodesConfiguration {
        var configuration = OneTimeCodesConfiguration()
        configuration.scryptLogN = 10
        return configuration
    }

    init(configuration: OneTimeCodesConfiguration = OTPFixture.testConfiguration, senders: [OutgoingCode.Channel: any CodeSender] = [:],
         at start: Date = Date(timeIntervalSince1970: 1_795_348_800)) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("otp-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        clock = TestClock(start)
        keyPath = directory.appendingPathComponent("keys").path
        try SecretKeyring.generateKey(path: keyPath)
        database = try Storage.Database.open(path: directory.appendingPathComponent("otp.sqlite").path,
                                             migrations: MigrationRegistry(OneTimeCodesSchema.migrations))
        let clock = self.clock
        service = OneTimeCodesService(database: database, keyring: try SecretKeyring.load(path: keyPath), configuration: configuration,
                                      senders: senders, clock: { clock.now })
    }

    /// Another service over the same database and clock (other configuration, senders or key file).
    func service(configuration: OneTimeCodesConfiguration = OTPFixture.testConfiguration, senders: [OutgoingCode.Channel: any CodeSender] = [:],
                 keyPath: String? = nil) throws -> OneTimeCodesService {
        let clock = self.clock
        return OneTimeCodesService(database: database, keyring: try SecretKeyring.load(path: keyPath ?? self.keyPath), configuration: configuration,
                                   senders: senders, clock: { clock.now })
    }

    /// An eID authority for `person`, authenticated now.
    func authority(_ person: String = OTPFixture.person, level: Int = 500) -> ActivationAuthority {
        ActivationAuthority(person: person, fasLevel: level, authenticatedAt: clock.now)
    }

    /// An active TOTP credential: enrolled and confirmed with the current code; returns its id and seed.
    func activeTOTP(_ person: String = OTPFixture.person, parameters: TOTPParameters = .init()) throws -> (id: String, seed: [UInt8]) {
        let enrollment = try service.enrollTOTP(authority: authority(person), parameters: parameters, account: "jan")
        let seed = try #require(Base32.decode(enrollment.secret))
        try service.confirmTOTP(
            person: person, credentialID: enrollment.credentialID, code: TestSecrets.totp(secret: seed, date: clock.now, parameters: parameters)
        )
        return (enrollment.credentialID, seed)
    }

    /// The code `steps` time steps from now.
    func code(_ seed: [UInt8], steps: Int = 0, parameters: TOTPParameters = .init()) -> String {
        TestSecrets.totp(secret: seed, date: clock.now.addingTimeInterval(Double(steps * parameters.period)), parameters: parameters)
    }

    /// Audit events, oldest first.
    func auditEvents() throws -> [String] {
        try database.read { db in try db.values("SELECT event FROM otp_audit ORDER BY seq", as: String.self) }
    }
}

/// Records the codes the service would send.
final class RecordingSender: CodeSender, @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [OutgoingCode] = []

    func send(_ message: OutgoingCode) async throws(OneTimeCodesError) { lock.withLock { messages.append(message) } }

    var sent: [OutgoingCode] { lock.withLock { messages } }
    var last: OutgoingCode? { sent.last }
}

/// Whether `body` throws a OneTimeCodesError with `code`; returns the error.
@discardableResult
func expectOTP<R>(_ code: OneTimeCodesError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R) -> OneTimeCodesError? {
    do {
        _ = try body()
        return judge(nil, expecting: code, sourceLocation)
    } catch {
        return judge(error, expecting: code, sourceLocation)
    }
}

/// Whether the async `body` throws a OneTimeCodesError with `code`; returns the error.
@discardableResult
func expectAsync(
    _ code: OneTimeCodesError.Code, sourceLocation: SourceLocation = #_sourceLocation, _ body: () async throws -> Void
) async -> OneTimeCodesError? {
    do {
        try await body()
        return judge(nil, expecting: code, sourceLocation)
    } catch {
        return judge(error, expecting: code, sourceLocation)
    }
}

/// Records an issue unless `error` is a OneTimeCodesError with `code`.
private func judge(_ error: (any Error)?, expecting code: OneTimeCodesError.Code, _ sourceLocation: SourceLocation) -> OneTimeCodesError? {
    guard let error else {
        Issue.record("expected \(code), got success", sourceLocation: sourceLocation)
        return nil
    }
    guard let otp = error as? OneTimeCodesError else {
        Issue.record("expected \(code), got \(error)", sourceLocation: sourceLocation)
        return nil
    }
    #expect(otp.code == code, "\(otp)", sourceLocation: sourceLocation)
    return otp
}
