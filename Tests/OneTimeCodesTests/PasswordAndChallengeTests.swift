import Foundation
import OneTimeCodes
import SleutelTestSupport
import Storage
import Testing

@Suite("Passwords through OneTimeCodesService")
struct PasswordTests {
    @Test("set, verify, wrong password, unknown username, person(username:)")
    func setAndVerify() throws {
        let f = try OTPFixture()
        try f.service.setPassword(username: "jan", password: "correct horse battery", authority: f.authority())
        #expect(try f.service.verifyPassword(username: "jan", password: "correct horse battery", source: "t") == OTPFixture.person)
        expectOTP(.rejected) { try f.service.verifyPassword(username: "jan", password: "correct horse batterY", source: "t") }
        let unknown = expectOTP(.rejected) { try f.service.verifyPassword(username: "piet", password: "correct horse battery", source: "t") }
        #expect(!"\(unknown.map { "\($0)" } ?? "")".contains("correct horse"))
        #expect(try f.service.person(username: "jan") == OTPFixture.person)
        #expect(try f.service.person(username: "piet") == nil)
        // Another person cannot take the username.
        expectOTP(.alreadyExists) { try f.service.setPassword(username: "jan", password: "another good passphrase", authority: f.authority("85073003328")) }
    }

    @Test("password rules", arguments: ["short1234", "aaaaaaaaaaaaaaaa", "JanPeeters12", "password1234", "Wachtwoord123"])
    func policy(password: String) throws {
        let f = try OTPFixture()
        let error = expectOTP(.passwordPolicy) { try f.service.setPassword(username: "janpeeters12", password: password, authority: f.authority()) }
        #expect(!"\(error.map { "\($0)" } ?? "")".contains(password))
    }

    @Test("a hash below the current scrypt cost is replaced on the next successful login")
    func rehash() throws {
        let f = try OTPFixture()
        try f.service.setPassword(username: "jan", password: "correct horse battery", authority: f.authority())
        func params() throws -> String? {
            try f.database.read { db in try db.value("SELECT params FROM otp_credential WHERE username = 'jan'", as: String.self) }
        }
        #expect(try params() == "scrypt:10:8:1")
        var stronger = OTPFixture.testConfiguration
        stronger.scryptLogN = 11
        let service = try f.service(configuration: stronger)
        #expect(try service.verifyPassword(username: "jan", password: "correct horse battery", source: "t") == OTPFixture.person)
        #expect(try params() == "scrypt:11:8:1")
        #expect(try service.verifyPassword(username: "jan", password: "correct horse battery", source: "t") == OTPFixture.person)
        #expect(try f.auditEvents().filter { $0 == "password.rehashed" }.count == 1)
    }

    @Test("lockout applies to passwords too")
    func lockout() throws {
        let f = try OTPFixture()
        try f.service.setPassword(username: "jan", password: "correct horse battery", authority: f.authority())
        for _ in 0..<5 { expectOTP(.rejected) { try f.service.verifyPassword(username: "jan", password: "wrong horse battery", source: "t") } }
        expectOTP(.rejected) { try f.service.verifyPassword(username: "jan", password: "correct horse battery", source: "t") }
        f.clock.advance(61)
        #expect(try f.service.verifyPassword(username: "jan", password: "correct horse battery", source: "t") == OTPFixture.person)
    }
}

@Suite("SMS and e-mail challenges through OneTimeCodesService")
struct ChallengeTests {
    static let number = "+32470123456"

    /// A fixture with an active SMS destination for the default person.
    static func activeSMS(_ configuration: OneTimeCodesConfiguration = OTPFixture.testConfiguration) async throws -> (OTPFixture, RecordingSender) {
        let sender = RecordingSender()
        let f = try OTPFixture(configuration: configuration, senders: [.sms: sender, .email: sender])
        let ticket = try await f.service.enrollDestination(authority: f.authority(), channel: .sms, destination: number)
        #expect(ticket.maskedDestination == "+32******456")
        try f.service.confirmDestination(person: OTPFixture.person, challengeID: ticket.id, code: try #require(sender.last).code)
        f.clock.advance(61)
        return (f, sender)
    }

    @Test("a login code is single use")
    func singleUse() async throws {
        let (f, sender) = try await Self.activeSMS()
        let ticket = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        let code = try #require(sender.last).code
        #expect(code.count == 6 && sender.last?.destination == Self.number)
        expectOTP(.rejected) { try f.service.verifyChallenge(id: ticket.id, code: code == "000000" ? "111111" : "000000", source: "t") }
        let verified = try f.service.verifyChallenge(id: ticket.id, code: code, source: "t")
        #expect(verified.person == OTPFixture.person && verified.kind == .sms)
        expectOTP(.rejected) { try f.service.verifyChallenge(id: ticket.id, code: code, source: "t") }
        #expect(try f.auditEvents().contains("challenge.replay"))
    }

    @Test("a code expires after 5 minutes")
    func expiry() async throws {
        let (f, sender) = try await Self.activeSMS()
        let ticket = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        #expect(ticket.expiresAt == f.clock.now.addingTimeInterval(300))
        f.clock.advance(301)
        expectOTP(.rejected) { try f.service.verifyChallenge(id: ticket.id, code: try #require(sender.last).code, source: "t") }
    }

    @Test("a resend within the cool-down returns the same challenge and code; after it a new one")
    func resend() async throws {
        let (f, sender) = try await Self.activeSMS()
        let first = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        let code = try #require(sender.last).code
        f.clock.advance(30)
        let again = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        #expect(again.id == first.id && sender.last?.code == code)
        f.clock.advance(31)
        let fresh = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        #expect(fresh.id != first.id)
        _ = try f.service.verifyChallenge(id: fresh.id, code: try #require(sender.last).code, source: "t")
    }

    @Test("quota per person")
    func quotaPerPerson() async throws {
        var configuration = OTPFixture.testConfiguration
        configuration.quotaPerPerson = 3
        let (f, _) = try await Self.activeSMS(configuration)  // the confirmation code was the first send
        for _ in 0..<2 {
            _ = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
            f.clock.advance(61)
        }
        await expectAsync(.quotaExceeded) { _ = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms) }
        f.clock.advance(3600)
        _ = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
    }

    @Test("an enrolment whose confirmation code cannot be sent (gateway down, quota) keeps no pending destination")
    func enrolmentSendFails() async throws {
        let f = try OTPFixture(senders: [.sms: FailingSender()])
        func rows(_ table: String) throws -> Int {
            try f.database.read { try $0.value("SELECT COUNT(*) FROM \(table)", as: Int.self) ?? -1 }
        }
        await expectAsync(.delivery) { _ = try await f.service.enrollDestination(authority: f.authority(), channel: .sms, destination: Self.number) }
        #expect(try rows("otp_credential") == 0)
        #expect(try rows("otp_challenge") == 0)
        #expect(try f.auditEvents().contains("sms.abandoned"))
        // Quota used up before anything is sent: the same.
        var configuration = OTPFixture.testConfiguration
        configuration.quotaPerPerson = 1
        let (g, _) = try await Self.activeSMS(configuration)
        let before = try g.database.read { try $0.value("SELECT COUNT(*) FROM otp_credential", as: Int.self) }
        await expectAsync(.quotaExceeded) {
            _ = try await g.service.enrollDestination(authority: g.authority(), channel: .sms, destination: "+32470999999")
        }
        #expect(try g.database.read { try $0.value("SELECT COUNT(*) FROM otp_credential", as: Int.self) } == before)
    }

    @Test("quota per destination, across persons")
    func quotaPerDestination() async throws {
        var configuration = OTPFixture.testConfiguration
        configuration.quotaPerDestination = 2
        let (f, sender) = try await Self.activeSMS(configuration)
        let other = "85073003328"
        let ticket = try await f.service.enrollDestination(authority: f.authority(other), channel: .sms, destination: Self.number)
        try f.service.confirmDestination(person: other, challengeID: ticket.id, code: try #require(sender.last).code)
        f.clock.advance(61)
        await expectAsync(.quotaExceeded) { _ = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms) }
        await expectAsync(.quotaExceeded) { _ = try await f.service.startChallenge(person: other, channel: .sms) }
    }

    @Test("a confirmation code of another person's enrolment is refused; e-mail enrolment")
    func wrongPerson() async throws {
        let sender = RecordingSender()
        let f = try OTPFixture(senders: [.email: sender])
        let ticket = try await f.service.enrollDestination(authority: f.authority(), channel: .email, destination: "jan.peeters@gent.be")
        #expect(ticket.maskedDestination == "j***@gent.be")
        let code = try #require(sender.last).code
        expectOTP(.rejected) { try f.service.confirmDestination(person: "85073003328", challengeID: ticket.id, code: code) }
        await expectAsync(.notFound) { _ = try await f.service.startChallenge(person: OTPFixture.person, channel: .email) }
        // The code was not used up by the wrong person: the right one still confirms with it.
        try f.service.confirmDestination(person: OTPFixture.person, challengeID: ticket.id, code: code)
        f.clock.advance(61)
        let login = try await f.service.startChallenge(person: OTPFixture.person, channel: .email)
        let loginCode = try #require(sender.last).code
        expectOTP(.rejected) { try f.service.verifyChallenge(id: login.id, person: "85073003328", code: loginCode, source: "t") }
        #expect(try f.service.verifyChallenge(id: login.id, person: OTPFixture.person, code: loginCode, source: "t").kind == .email)
    }

    @Test("errors, tickets and the audit trail never carry the code or the destination")
    func privacy() async throws {
        let (f, sender) = try await Self.activeSMS()
        let ticket = try await f.service.startChallenge(person: OTPFixture.person, channel: .sms)
        let code = try #require(sender.last).code
        let wrong = code == "123456" ? "654321" : "123456"
        let errors: [OneTimeCodesError?] = [
            expectOTP(.rejected) { try f.service.verifyChallenge(id: ticket.id, code: wrong, source: "t") },
        ]
        let bad = "+32 470 99 88 7x"
        let badNumber = await expectAsync(.invalidInput) {
            _ = try await f.service.enrollDestination(authority: f.authority(), channel: .sms, destination: bad)
        }
        for error in errors + [badNumber] {
            let text = "\(error.map { "\($0)" } ?? "") \(error?.reason ?? "")"
            for secret in [code, wrong, Self.number, "470123456", bad, "99 88"] { #expect(!text.contains(secret)) }
        }
        #expect(!"\(ticket)".contains(Self.number))
        let rows = try f.database.read { db in try db.values("SELECT event || source || COALESCE(person, '') FROM otp_audit", as: String.self) }
        #expect(!rows.joined().contains(Self.number) && !rows.joined().contains(code))
    }
}

/// A gateway that is down.
private struct FailingSender: CodeSender {
    func send(_ message: OutgoingCode) async throws(OneTimeCodesError) {
        throw OneTimeCodesError(.delivery, "gateway down")
    }
}
