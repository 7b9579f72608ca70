import Foundation
import OneTimeCodes
import Sessions
import SleutelTestSupport
import Testing
import Trust

/// Security-code login: password, then a TOTP, SMS or e-mail code (spec §10), through the real
/// OneTimeCodes service on the same SQLite database.
@Suite struct CodeLoginTests {
    let password = "correct horse battery staple"

    /// An eID session, a password and an active TOTP key for the specimen person; returns the seed.
    func enrolTOTP(_ fixture: SessionsFixture, parameters: TOTPParameters = .init()) throws -> (eid: IssuedSession, seed: [UInt8]) {
        let eid = try fixture.login(TestCard("specimen-1.7"))
        try fixture.codes.setPassword(username: "bert", password: password, authority: fixture.authority(eid.session))
        let enrolment = try fixture.codes.enrollTOTP(authority: fixture.authority(eid.session), parameters: parameters, account: "bert")
        let seed = try #require(Base32.decode(enrolment.secret))
        try fixture.codes.confirmTOTP(person: specimenRRN, credentialID: enrolment.credentialID,
                                      code: TestSecrets.totp(secret: seed, date: fixture.clock.now, parameters: parameters))
        fixture.clock.advance(30)  // the confirming code's step is spent
        return (eid, seed)
    }

    @Test func passwordAndTOTPGiveSubstantialSession() throws {
        let fixture = try SessionsFixture()
        let (_, seed) = try enrolTOTP(fixture)
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "10.0.0.1")
        #expect(start.factors.map(\.factor) == [.totp, .password])
        #expect(start.factors.map(\.level.fasLevel) == [400, 200])
        let issued = try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp,
                                                           code: TestSecrets.totp(secret: seed, date: fixture.clock.now), source: "10.0.0.1")
        #expect(issued.session.method == .totpApp)
        #expect(issued.session.level.fasLevel == 400)
        #expect(issued.session.person == specimenRRN)
        #expect(try fixture.service.requireAccess(token: issued.token, application: "eloket").id == issued.session.id)
        // The transaction is spent, and the same code cannot open a second session.
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp,
                                                  code: TestSecrets.totp(secret: seed, date: fixture.clock.now), source: "10.0.0.1")
        }
        let again = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "10.0.0.1")
        expectSessionsError(.credentialsRejected) {
            try fixture.service.completeCodeLogin(transactionID: again.transactionID, factor: .totp,
                                                  code: TestSecrets.totp(secret: seed, date: fixture.clock.now), source: "10.0.0.1")
        }
    }

    @Test func passwordAloneIsLowAndNeedsStepUp() throws {
        let fixture = try SessionsFixture()
        _ = try enrolTOTP(fixture)
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        let issued = try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .password, code: nil, source: "")
        #expect(issued.session.method == .password)
        #expect(issued.session.level.fasLevel == 200)
        let refusal = expectSessionsError(.stepUpRequired) { try fixture.service.requireAccess(token: issued.token, application: "eloket") }
        #expect(refusal?.requiredLevel == .substantial)
    }

    @Test func wrongPasswordAndUnknownUserAnswerAlike() throws {
        let fixture = try SessionsFixture()
        _ = try enrolTOTP(fixture)
        let wrong = expectSessionsError(.credentialsRejected) {
            try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: "not the password at all", source: "")
        }
        let unknown = expectSessionsError(.credentialsRejected) {
            try fixture.service.beginCodeLogin(application: "eloket", username: "nobody", password: password, source: "")
        }
        #expect(wrong?.reason == unknown?.reason)
        #expect(!(wrong?.description.contains("not the password") ?? true))
    }

    @Test func threeWrongCodesSpendTheTransaction() throws {
        let fixture = try SessionsFixture()
        let (_, seed) = try enrolTOTP(fixture)
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        let good = TestSecrets.totp(secret: seed, date: fixture.clock.now)
        let bad = good == "000000" ? "111111" : "000000"
        for _ in 0..<3 {
            expectSessionsError(.credentialsRejected) {
                try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp, code: bad, source: "")
            }
        }
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp, code: good, source: "")
        }
    }

    @Test func transactionExpires() throws {
        let fixture = try SessionsFixture()
        let (_, seed) = try enrolTOTP(fixture)
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        fixture.clock.advance(301)
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp,
                                                  code: TestSecrets.totp(secret: seed, date: fixture.clock.now), source: "")
        }
    }

    @Test func smsAndEmailCodesComeFromTheSentChallenge() async throws {
        let sender = RecordingCodeSender()
        let fixture = try SessionsFixture(codeSenders: [.sms: sender, .email: sender])
        let eid = try fixture.login(TestCard("specimen-1.7"))
        let authority = fixture.authority(eid.session)
        try fixture.codes.setPassword(username: "bert", password: password, authority: authority)
        let smsEnrol = try await fixture.codes.enrollDestination(authority: authority, channel: .sms, destination: "+32 470 12 34 56")
        try fixture.codes.confirmDestination(person: specimenRRN, challengeID: smsEnrol.id, code: try #require(sender.messages.last).code)
        let mailEnrol = try await fixture.codes.enrollDestination(authority: authority, channel: .email, destination: "bert@example.be")
        try fixture.codes.confirmDestination(person: specimenRRN, challengeID: mailEnrol.id, code: try #require(sender.messages.last).code)

        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        #expect(start.factors.map(\.factor) == [.sms, .email, .password])
        #expect(start.factors.map(\.level.fasLevel) == [400, 350, 200])
        // Completing with an SMS code before one was sent is refused without spending an attempt on guessing.
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .sms, code: "123456", source: "")
        }
        let ticket = try await fixture.service.sendLoginCode(transactionID: start.transactionID, factor: .sms)
        #expect(ticket.maskedDestination.hasPrefix("+32"))
        #expect(!ticket.maskedDestination.contains("123456"))
        let sms = try #require(sender.messages.last)
        #expect(sms.channel == .sms && sms.destination == "+32470123456")
        // An e-mail factor cannot use the SMS challenge.
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .email, code: sms.code, source: "")
        }
        let issued = try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .sms, code: sms.code, source: "")
        #expect(issued.session.method == .smsCode && issued.session.level.fasLevel == 400)

        let second = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        _ = try await fixture.service.sendLoginCode(transactionID: second.transactionID, factor: .email)
        let mail = try #require(sender.messages.last)
        #expect(mail.channel == .email)
        let emailSession = try fixture.service.completeCodeLogin(transactionID: second.transactionID, factor: .email, code: mail.code, source: "")
        #expect(emailSession.session.method == .emailCode && emailSession.session.level.fasLevel == 350)
        expectSessionsError(.stepUpRequired) { try fixture.service.requireAccess(token: emailSession.token, application: "eloket") }
    }

    @Test func emailCodeLevelIsConfigurable() async throws {
        var configuration = SessionsConfiguration()
        configuration.emailCodeLevel = .substantial
        let sender = RecordingCodeSender()
        let fixture = try SessionsFixture(configuration: configuration, codeSenders: [.email: sender])
        let eid = try fixture.login(TestCard("specimen-1.7"))
        let authority = fixture.authority(eid.session)
        try fixture.codes.setPassword(username: "bert", password: password, authority: authority)
        let enrol = try await fixture.codes.enrollDestination(authority: authority, channel: .email, destination: "bert@example.be")
        try fixture.codes.confirmDestination(person: specimenRRN, challengeID: enrol.id, code: try #require(sender.messages.last).code)
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        _ = try await fixture.service.sendLoginCode(transactionID: start.transactionID, factor: .email)
        let issued = try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .email,
                                                           code: try #require(sender.messages.last).code, source: "")
        #expect(issued.session.level == .substantial)
    }

    @Test func codeLoginStepsUpAPasswordSession() throws {
        let fixture = try SessionsFixture()
        let (_, seed) = try enrolTOTP(fixture)
        let low = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        let weak = try fixture.service.completeCodeLogin(transactionID: low.transactionID, factor: .password, code: nil, source: "")
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        let raised = try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp,
                                                           code: TestSecrets.totp(secret: seed, date: fixture.clock.now), source: "", stepUpToken: weak.token)
        #expect(raised.session.id == weak.session.id)
        #expect(raised.session.level.fasLevel == 400)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: weak.token) }
    }

    @Test func stepUpOfAnotherPersonsSessionIsRefused() throws {
        let fixture = try SessionsFixture()
        let (_, seed) = try enrolTOTP(fixture)
        let other = try fixture.login(TestCard("foreigner-1.7", foreigner: true))
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        expectSessionsError(.personMismatch) {
            try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp,
                                                  code: TestSecrets.totp(secret: seed, date: fixture.clock.now), source: "", stepUpToken: other.token)
        }
    }

    @Test func parallelCompletionsOpenOneSession() async throws {
        // The 15 losers are replays, each counted as a wrong code; with the default budget of 3 they
        // may spend the transaction before the winner's completion lands (then none succeeds, which
        // is safe). A budget above the parallelism makes "exactly one" the property under test.
        var configuration = SessionsConfiguration()
        configuration.codeAttempts = 32
        let fixture = try SessionsFixture(configuration: configuration)
        let (_, seed) = try enrolTOTP(fixture)
        let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        let code = TestSecrets.totp(secret: seed, date: fixture.clock.now)
        let service = fixture.service
        let id = start.transactionID
        let successes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask { (try? service.completeCodeLogin(transactionID: id, factor: .totp, code: code, source: "")) != nil }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(successes == 1)
    }

    @Test func withoutCodesServiceCodeLoginIsNotOffered() throws {
        let fixture = try SessionsFixture()
        let verifier = EIDProofVerifier(trust: TrustService(configuration: try TrustConfiguration.test(roots: TestCard.roots()), revocation: nil))
        let bare = SessionService(database: fixture.database, trust: verifier, clock: fixture.clock.sessionsClock)
        expectSessionsError(.methodNotAccepted) {
            try bare.beginCodeLogin(application: "eloket", username: "bert", password: password, source: "")
        }
    }
}
