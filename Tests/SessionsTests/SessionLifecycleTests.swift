import CryptoCore
import Foundation
import Rights
import SleutelTestSupport
import Storage
import Testing
import Trust

@testable import Sessions

@Suite("Sessions: expiry, revocation, card binding, step-up, access rules, organisation choice")
struct SessionLifecycleTests {
    @Test("the store keeps only the token's SHA-256")
    func tokenHashed() throws {
        let fixture = try SessionsFixture()
        let issued = try fixture.login(TestCard("specimen-1.7"))
        let stored = try fixture.database.read { db in try db.value("SELECT token_hash FROM session", as: Data.self)! }
        #expect(Array(stored) == DigestAlgorithm.sha256.hash(Array(issued.token.utf8)))
        let dump = try fixture.database.read { db in
            try db.values("SELECT quote(token_hash) || id || method FROM session", as: String.self).joined()
        }
        #expect(!dump.contains(issued.token))
    }

    @Test("idle timeout ends the session; activity keeps it alive")
    func idle() throws {
        let fixture = try SessionsFixture()
        let issued = try fixture.login(TestCard("specimen-1.7"))
        let idle = fixture.service.configuration.idleTimeout
        fixture.clock.advance(idle - 5)
        _ = try fixture.service.authenticate(token: issued.token)
        fixture.clock.advance(idle - 5)
        _ = try fixture.service.authenticate(token: issued.token)
        fixture.clock.advance(idle + 1)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: issued.token) }
        fixture.clock.advance(-idle)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: issued.token) }
    }

    @Test("use within the touch interval reads only; later use moves last_used_at and keeps the idle timer exact to it")
    func touchInterval() throws {
        let fixture = try SessionsFixture()
        let issued = try fixture.login(TestCard("specimen-1.7"))
        func lastUsed() throws -> Double {
            try fixture.database.read { db in try db.value("SELECT last_used_at FROM session", as: Double.self)! }
        }
        let opened = try lastUsed()
        fixture.clock.advance(SessionService.touchInterval / 2)
        _ = try fixture.service.authenticate(token: issued.token)
        #expect(try lastUsed() == opened)
        fixture.clock.advance(SessionService.touchInterval)
        let seen = try fixture.service.authenticate(token: issued.token)
        #expect(try lastUsed() == opened + SessionService.touchInterval * 1.5)
        #expect(seen.lastUsedAt.timeIntervalSince1970 == opened + SessionService.touchInterval * 1.5)
        // Idle is judged from the stored time, so it ends at most one touch interval early, never late.
        fixture.clock.advance(fixture.service.configuration.idleTimeout + 0.001)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: issued.token) }
        let reason = try fixture.database.read { db in try db.value("SELECT end_reason FROM session", as: String.self) }
        #expect(reason == "idle")
    }

    @Test("an ended session is refused even within the touch interval")
    func endedWithinTouchInterval() throws {
        let fixture = try SessionsFixture()
        let issued = try fixture.login(TestCard("specimen-1.7"))
        _ = try fixture.service.authenticate(token: issued.token)
        try fixture.service.revoke(token: issued.token)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: issued.token) }
    }

    @Test("the absolute lifetime ends even an active session")
    func absolute() throws {
        var configuration = SessionsConfiguration()
        configuration.absoluteLifetime = 3600
        let fixture = try SessionsFixture(configuration: configuration)
        let issued = try fixture.login(TestCard("specimen-1.7"))
        for _ in 0..<5 {
            fixture.clock.advance(700)
            _ = try fixture.service.authenticate(token: issued.token)
        }
        fixture.clock.advance(200)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: issued.token) }
    }

    @Test("logout revokes; guessed, malformed and unknown tokens give the same answer")
    func revoke() throws {
        let fixture = try SessionsFixture()
        let issued = try fixture.login(TestCard("specimen-1.7"))
        #expect(try fixture.service.revoke(token: issued.token))
        #expect(try !fixture.service.revoke(token: issued.token))
        let answers = [issued.token, SessionService.newToken(), "x", String(repeating: "A", count: 43), issued.token + "A"].map { token in
            expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: token) }?.reason
        }
        #expect(Set(answers.compactMap { $0 }).count == 1)
    }

    @Test("removing the card ends the kiosk session bound to it, and only that one")
    func cardBinding() throws {
        let fixture = try SessionsFixture()
        let kiosk = try fixture.login(TestCard("specimen-1.7"), cardBinding: "reader-0/card-592345678901")
        let desk = try fixture.login(TestCard("specimen-1.7"))
        #expect(kiosk.session.idleTimeout == fixture.service.configuration.kioskIdleTimeout)
        #expect(try fixture.service.endSessions(cardBinding: "reader-0/card-592345678901") == 1)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: kiosk.token) }
        #expect(try fixture.service.authenticate(token: desk.token).id == desk.session.id)
        #expect(try fixture.service.endSessions(cardBinding: "reader-0/card-592345678901") == 0)
    }

    @Test("an application above the session's level asks for step-up, not 'no rights'")
    func stepUpRequired() throws {
        var configuration = SessionsConfiguration()
        configuration.rules["toepx"] = AccessRule(minimumLevel: AssuranceLevel(500))
        configuration.rules["btb"] = AccessRule(minimumLevel: .high, acceptedMethods: [.eidPin])
        let fixture = try SessionsFixture(configuration: configuration)
        let code = try fixture.service.open(person: specimenRRN, method: .totpApp, cardBinding: nil, at: fixture.clock.now)
        let error = expectSessionsError(.stepUpRequired) { try fixture.service.requireAccess(token: code.token, application: "toepx") }
        #expect(error?.requiredLevel == AssuranceLevel(500))
        _ = try fixture.service.requireAccess(token: code.token, application: "eloket")

        let email = try fixture.service.open(person: specimenRRN, method: .emailCode, cardBinding: nil, at: fixture.clock.now)
        expectSessionsError(.stepUpRequired) { try fixture.service.requireAccess(token: email.token, application: "eloket") }

        var methodRule = configuration
        methodRule.rules["sms-only"] = AccessRule(minimumLevel: .low, acceptedMethods: [.smsCode])
        let strict = SessionService(database: fixture.database,
                                    trust: EIDProofVerifier(trust: TrustService(configuration: try .test(roots: TestCard.roots()), revocation: nil)),
                                    configuration: methodRule, clock: fixture.clock.sessionsClock)
        expectSessionsError(.methodNotAccepted) { try strict.requireAccess(token: code.token, application: "sms-only") }
    }

    @Test("step-up with the eID raises the same session to 500 and replaces its token")
    func stepUp() throws {
        let fixture = try SessionsFixture()
        let code = try fixture.service.open(person: specimenRRN, method: .totpApp, cardBinding: nil, at: fixture.clock.now)
        let card = try TestCard("specimen-1.7")
        let challenge = try fixture.service.beginEIDLogin(application: "toepx")
        let raised = try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: card.sign(challenge.toBeSigned),
                                                          certificate: card.certificate, intermediates: card.intermediates, stepUpToken: code.token)
        #expect(raised.session.id == code.session.id)
        #expect(raised.session.level == AssuranceLevel(500))
        #expect(raised.session.method == .eidPin)
        #expect(raised.token != code.token)
        expectSessionsError(.sessionInvalid) { try fixture.service.authenticate(token: code.token) }
        #expect(try fixture.service.authenticate(token: raised.token).level == AssuranceLevel(500))
    }

    @Test("a step-up by another person's card is refused and leaves the session as it was")
    func stepUpOtherPerson() throws {
        let fixture = try SessionsFixture()
        let code = try fixture.service.open(person: specimenRRN, method: .totpApp, cardBinding: nil, at: fixture.clock.now)
        let other = try TestCard("specimen-1.8", ec: true)
        let challenge = try fixture.service.beginEIDLogin(application: "toepx")
        expectSessionsError(.personMismatch) {
            try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: other.sign(challenge.toBeSigned),
                                                 certificate: other.certificate, intermediates: other.intermediates, stepUpToken: code.token)
        }
        #expect(try fixture.service.authenticate(token: code.token).level == AssuranceLevel(400))
    }

    @Test("organisation choice comes from Rights; a person without rights gets the seeds' refusal text")
    func organisationChoice() throws {
        let fixture = try SessionsFixture()
        let organisation = try KBONumber("0441.928.931")
        try fixture.rights.registerOrganisation(organisation, name: "FN HERSTAL")
        try fixture.rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket ondernemers",
                                                                     legalRepresentativeHasAccess: true, baseRight: "ondernemer"))
        try fixture.rights.defineRight(RightDefinition(application: "eloket", code: "ondernemer", label: "e-loket ondernemers"))
        try fixture.rights.recordLegalRepresentative(person: INSZ("82020200126", origin: .certificate), organisation: organisation,
                                                     validFrom: LocalDate(year: 2010, month: 1, day: 1)!, validUntil: nil)

        let representative = try fixture.login(TestCard("specimen-1.8", ec: true))
        let decision = try fixture.service.chooseOrganisation(token: representative.token, application: "eloket", organisation: nil)
        guard case .allowed(let chosen, let rights) = decision else {
            Issue.record("expected allowed, got \(decision)")
            return
        }
        #expect(chosen == organisation)
        #expect(rights.map(\.right).contains("ondernemer"))
        let session = try fixture.service.authenticate(token: representative.token)
        #expect(session.organisation == organisation.digits)
        #expect(session.application == "eloket")

        let stranger = try fixture.login(TestCard("foreigner-1.7", foreigner: true))
        let refused = try fixture.service.chooseOrganisation(token: stranger.token, application: "eloket", organisation: organisation.formatted)
        guard case .refused(_, let message) = refused else {
            Issue.record("expected refused, got \(refused)")
            return
        }
        #expect(message == "U beschikt niet over de rechten om aan te melden op de toepassing")
        #expect(try fixture.service.authenticate(token: stranger.token).organisation == nil)
        expectSessionsError(.invalidInput) {
            try fixture.service.chooseOrganisation(token: stranger.token, application: "eloket", organisation: "0441.928.932")
        }
        // The specimen card's number (month 71) is no valid INSZ: no rights, same refusal text.
        let specimen = try fixture.login(TestCard("specimen-1.7"))
        let unreadable = try fixture.service.chooseOrganisation(token: specimen.token, application: "eloket", organisation: nil)
        #expect(unreadable == .refused(reason: .noLinkedIdentity, message: "U beschikt niet over de rechten om aan te melden op de toepassing"))
    }

    @Test("purge removes expired transactions and long-ended sessions")
    func purge() throws {
        let fixture = try SessionsFixture()
        _ = try fixture.service.beginEIDLogin(application: "eloket")
        let issued = try fixture.login(TestCard("specimen-1.7"))
        try fixture.service.revoke(token: issued.token)
        fixture.clock.advance(2 * 86_400)
        #expect(try fixture.service.purge() == 3)
    }

    @Test("levels, bands and ACR values follow spec §10")
    func levels() {
        #expect(AuthMethod.eidPin.defaultLevel.eidasBand == "high")
        #expect(AuthMethod.totpApp.defaultLevel == .substantial)
        #expect(AuthMethod.smsCode.defaultLevel == .substantial)
        #expect(AuthMethod.emailCode.defaultLevel < .substantial)
        #expect(AuthMethod.password.defaultLevel == .low)
        #expect(AuthMethod.passwordUnlinked.defaultLevel.eidasBand == "none")
        #expect(!AuthMethod.passwordUnlinked.isLinkedToPerson)
        #expect(AuthMethod.totpApp.acmURN == "urn:be:vlaanderen:authmech:csamtotp")
        #expect(AssuranceLevel(400).acr == "urn:be:fedict:iam:fas:Level400")
    }
}
