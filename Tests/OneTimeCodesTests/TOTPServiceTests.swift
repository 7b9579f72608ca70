import Dispatch
import Foundation
import OneTimeCodes
import SleutelTestSupport
import Storage
import Testing

@Suite("TOTP through OneTimeCodesService")
struct TOTPServiceTests {
    @Test("enrol (URI and QR), confirm with the first code, then verify")
    func enrolConfirmVerify() throws {
        let f = try OTPFixture()
        let enrollment = try f.service.enrollTOTP(authority: f.authority(), parameters: .init(algorithm: .sha512, digits: 8, period: 60),
                                                  account: "jan")
        let uri = try OTPAuthURI(parsing: enrollment.uri)
        #expect(uri.secret.count == 64 && Base32.encode(uri.secret) == enrollment.secret)
        #expect(try QRCodeTests.zbar(enrollment.qrPNG) == enrollment.uri)
        #expect(enrollment.qrTerminal.contains("▀"))
        // Pending: not usable for login yet; a wrong first code does not activate it.
        let now = TestSecrets.totp(secret: uri.secret, date: f.clock.now, parameters: uri.parameters)
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: now, source: "t") }
        expectOTP(.rejected) { try f.service.confirmTOTP(person: OTPFixture.person, credentialID: enrollment.credentialID, code: "00000000") }
        try f.service.confirmTOTP(person: OTPFixture.person, credentialID: enrollment.credentialID, code: now)
        f.clock.advance(60)
        let verified = try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(uri.secret, parameters: uri.parameters), source: "t")
        #expect(verified.credentialID == enrollment.credentialID && verified.kind == .totp && verified.enrolledAtLevel == 500)
        #expect(try f.auditEvents().contains("totp.confirmed"))
    }

    @Test("window: ±1 step accepted, ±2 refused")
    func window() throws {
        let f = try OTPFixture()
        let (_, seed) = try f.activeTOTP()
        f.clock.advance(300)
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed, steps: 2), source: "t") }
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed, steps: -2), source: "t") }
        _ = try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed, steps: -1), source: "t")
        _ = try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed, steps: 1), source: "t")
    }

    @Test("a code is accepted once: the same step again is a replay")
    func replay() throws {
        let f = try OTPFixture()
        let (_, seed) = try f.activeTOTP()
        f.clock.advance(30)
        let code = f.code(seed)
        _ = try f.service.verifyTOTP(person: OTPFixture.person, code: code, source: "t")
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: code, source: "t") }
        // An older step within the window is a replay too.
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed, steps: -1), source: "t") }
        #expect(try f.auditEvents().contains("totp.replay"))
    }

    @Test("20 parallel checks of one code: exactly one succeeds")
    func parallel() throws {
        let f = try OTPFixture()
        let (_, seed) = try f.activeTOTP()
        f.clock.advance(30)
        let code = f.code(seed)
        let successes = Counter()
        let service = f.service
        DispatchQueue.concurrentPerform(iterations: 20) { _ in
            if (try? service.verifyTOTP(person: OTPFixture.person, code: code, source: "t")) != nil { successes.increment() }
        }
        #expect(successes.value == 1)
    }

    @Test("resync with two consecutive codes of a drifted token")
    func resync() throws {
        let f = try OTPFixture()
        let (id, seed) = try f.activeTOTP()
        f.clock.advance(30)
        // The token runs 10 steps (5 minutes) ahead.
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed, steps: 10), source: "t") }
        expectOTP(.rejected) {
            try f.service.resyncTOTP(person: OTPFixture.person, credentialID: id, first: f.code(seed, steps: 10), second: f.code(seed, steps: 12), source: "t")
        }
        try f.service.resyncTOTP(person: OTPFixture.person, credentialID: id, first: f.code(seed, steps: 10), second: f.code(seed, steps: 11), source: "t")
        f.clock.advance(30)
        _ = try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed, steps: 11), source: "t")
    }

    @Test("lockout after 5 failures, back-off doubles, a correct code is refused while locked, success after expiry")
    func lockout() throws {
        let f = try OTPFixture()
        let (_, seed) = try f.activeTOTP()
        func fail(_ n: Int) {
            for _ in 0..<n { expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: "000000", source: "t") } }
        }
        f.clock.advance(30)
        fail(5)
        let locked = expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed), source: "t") }
        #expect(locked == OneTimeCodesError(.rejected, "same answer as a wrong code"))
        f.clock.advance(61)  // first lock: 60 s
        fail(5)  // second lock: 120 s
        f.clock.advance(61)
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed), source: "t") }
        f.clock.advance(60)
        _ = try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed), source: "t")
        let events = try f.auditEvents()
        #expect(events.filter { $0 == "locked" }.count == 2)
        #expect(events.filter { $0 == "locked.refused" }.count == 2)
        #expect(events.contains("unlocked"))
    }

    @Test("rate limit per source address: further checks from it are refused, other sources are not")
    func rateLimit() throws {
        var configuration = OTPFixture.testConfiguration
        configuration.rateLimitPerSource = 3
        let f = try OTPFixture(configuration: configuration)
        let (_, seed) = try f.activeTOTP()
        _ = try f.activeTOTP("85073003328")
        f.clock.advance(30)
        for _ in 0..<3 { expectOTP(.rejected) { try f.service.verifyTOTP(person: "85073003328", code: "000000", source: "192.0.2.7") } }
        expectOTP(.rejected) { try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed), source: "192.0.2.7") }
        _ = try f.service.verifyTOTP(person: OTPFixture.person, code: f.code(seed), source: "198.51.100.1")
        #expect(try f.auditEvents().contains("ratelimited"))
    }

    @Test("activation needs level 450 and an authentication of at most 10 minutes ago")
    func activation() throws {
        let f = try OTPFixture()
        expectOTP(.activationNotAllowed) { try f.service.enrollTOTP(authority: f.authority(level: 400), account: "jan") }
        let old = ActivationAuthority(person: OTPFixture.person, fasLevel: 500, authenticatedAt: f.clock.now.addingTimeInterval(-601))
        expectOTP(.activationNotAllowed) { try f.service.enrollTOTP(authority: old, account: "jan") }
        expectOTP(.activationNotAllowed) { try f.service.setPassword(username: "jan", password: "a long enough passphrase", authority: old) }
        _ = try f.service.enrollTOTP(authority: f.authority(level: 450), account: "jan")
        expectOTP(.invalidInput) { try f.service.enrollTOTP(authority: f.authority(), parameters: .init(digits: 7), account: "jan") }
    }

    @Test("rekey under a new key; with the old key removed the secrets still open")
    func rekey() async throws {
        let sender = RecordingSender()
        let f = try OTPFixture(senders: [.sms: sender])
        let (_, seed) = try f.activeTOTP()
        let ticket = try await f.service.enrollDestination(authority: f.authority(), channel: .sms, destination: "+32470123456")
        try f.service.confirmDestination(person: OTPFixture.person, challengeID: ticket.id, code: try #require(sender.last).code)
        try SecretKeyring.generateKey(path: f.keyPath)
        let rotated = try f.service(senders: [.sms: sender])
        #expect(try rotated.rekey() == 2)
        #expect(try rotated.rekey() == 0)
        // Only the new key left in the file.
        let lines = try String(contentsOfFile: f.keyPath, encoding: .utf8).split(separator: "\n")
        let newOnly = f.directory.appendingPathComponent("new-keys").path
        try (String(lines[1]) + "\n").write(toFile: newOnly, atomically: true, encoding: .utf8)
        let service = try f.service(senders: [.sms: sender], keyPath: newOnly)
        f.clock.advance(30)
        _ = try service.verifyTOTP(person: OTPFixture.person, code: f.code(seed), source: "t")
        let login = try await service.startChallenge(person: OTPFixture.person, channel: .sms)
        #expect(sender.last?.destination == "+32470123456")
        _ = try service.verifyChallenge(id: login.id, code: try #require(sender.last).code, source: "t")
    }

    @Test("the audit table is append-only")
    func auditAppendOnly() throws {
        let f = try OTPFixture()
        _ = try f.activeTOTP()
        #expect(throws: (any Error).self) { try f.database.write { db in try db.execute("UPDATE otp_audit SET event = 'x'") } }
        #expect(throws: (any Error).self) { try f.database.write { db in try db.execute("DELETE FROM otp_audit") } }
        #expect(try f.auditEvents().count >= 2)
    }
}

/// A thread-safe counter.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
