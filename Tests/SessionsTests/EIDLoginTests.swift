import CryptoCore
import Foundation
import Rights
import SleutelTestSupport
import Storage
import Testing
import Trust

@testable import Sessions

@Suite("eID login: challenge, card signature, Trust")
struct EIDLoginTests {
    @Test("an RSA 1.7 card and an EC 1.8 card log in at level 500 with the certificate's national number")
    func login() throws {
        let fixture = try SessionsFixture()
        let rsa = try fixture.login(TestCard("specimen-1.7"))
        #expect(rsa.session.level == AssuranceLevel(500))
        #expect(rsa.session.method == .eidPin)
        #expect(rsa.session.person == specimenRRN)
        #expect(rsa.token.utf8.count == 43)
        let ec = try fixture.login(TestCard("specimen-1.8", ec: true))
        #expect(ec.session.person == "82020200126")
        #expect(ec.session.level.acr == "urn:be:fedict:iam:fas:Level500")
        #expect(try fixture.service.authenticate(token: ec.token).id == ec.session.id)
    }

    @Test("a challenge is single use: the same answer twice is refused")
    func replay() throws {
        let fixture = try SessionsFixture()
        let card = try TestCard("specimen-1.7")
        let challenge = try fixture.service.beginEIDLogin(application: "eloket")
        let signature = try card.sign(challenge.toBeSigned)
        _ = try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: signature,
                                                 certificate: card.certificate, intermediates: card.intermediates)
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: signature,
                                                 certificate: card.certificate, intermediates: card.intermediates)
        }
    }

    @Test("a failed answer burns the challenge too")
    func failedAnswerBurns() throws {
        let fixture = try SessionsFixture()
        let card = try TestCard("specimen-1.7")
        let challenge = try fixture.service.beginEIDLogin(application: "eloket")
        expectSessionsError(.signatureInvalid) {
            try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: [UInt8](repeating: 7, count: 256),
                                                 certificate: card.certificate, intermediates: card.intermediates)
        }
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: card.sign(challenge.toBeSigned),
                                                 certificate: card.certificate, intermediates: card.intermediates)
        }
    }

    @Test("a challenge expires after its lifetime")
    func expiry() throws {
        let fixture = try SessionsFixture()
        let card = try TestCard("specimen-1.7")
        let challenge = try fixture.service.beginEIDLogin(application: "eloket")
        fixture.clock.advance(fixture.service.configuration.challengeLifetime + 1)
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: card.sign(challenge.toBeSigned),
                                                 certificate: card.certificate, intermediates: card.intermediates)
        }
    }

    @Test("a signature made for another transaction or another application is refused")
    func otherTransaction() throws {
        let fixture = try SessionsFixture()
        let card = try TestCard("specimen-1.7")
        let first = try fixture.service.beginEIDLogin(application: "eloket")
        let second = try fixture.service.beginEIDLogin(application: "eloket")
        expectSessionsError(.signatureInvalid) {
            try fixture.service.completeEIDLogin(transactionID: second.transactionID, signature: card.sign(first.toBeSigned),
                                                 certificate: card.certificate, intermediates: card.intermediates)
        }
        let third = try fixture.service.beginEIDLogin(application: "idm")
        let forged = EIDChallenge(transactionID: third.transactionID, application: "eloket", challenge: third.challenge, expiresAt: third.expiresAt)
        expectSessionsError(.signatureInvalid) {
            try fixture.service.completeEIDLogin(transactionID: third.transactionID, signature: card.sign(forged.toBeSigned),
                                                 certificate: card.certificate, intermediates: card.intermediates)
        }
    }

    @Test("a signature by another key than the certificate's is refused")
    func wrongKey() throws {
        let fixture = try SessionsFixture()
        let holder = try TestCard("specimen-1.7")
        let thief = try TestCard("foreigner-1.7", foreigner: true)
        let challenge = try fixture.service.beginEIDLogin(application: "eloket")
        expectSessionsError(.signatureInvalid) {
            try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: thief.sign(challenge.toBeSigned),
                                                 certificate: holder.certificate, intermediates: holder.intermediates)
        }
    }

    @Test("unknown and malformed transaction ids are refused before any work")
    func unknownTransaction() throws {
        let fixture = try SessionsFixture()
        let card = try TestCard("specimen-1.7")
        for id in [String(repeating: "a", count: 32), "", "../../etc", String(repeating: "A", count: 32)] {
            expectSessionsError(.challengeInvalid) {
                try fixture.service.completeEIDLogin(transactionID: id, signature: [1], certificate: card.certificate)
            }
        }
    }

    @Test("garbage certificates are invalid input, not a crash")
    func garbageCertificate() throws {
        let fixture = try SessionsFixture()
        let challenge = try fixture.service.beginEIDLogin(application: "eloket")
        expectSessionsError(.invalidInput) {
            try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: [1, 2, 3], certificate: [0x30, 0x82, 0xFF])
        }
    }

    @Test("an expired card is refused with the Trust rule")
    func expiredCard() throws {
        let fixture = try SessionsFixture()
        let error = expectSessionsError(.certificateRefused) { try fixture.login(TestCard("expired-1.7")) }
        #expect(error?.trustCode == "trust.expired")
    }

    @Test("a production configuration refuses test cards (chain to a wrong root)")
    func wrongRoot() throws {
        let fixture = try SessionsFixture(production: true)
        let error = expectSessionsError(.certificateRefused) { try fixture.login(TestCard("specimen-1.7")) }
        #expect(error?.trustCode == "trust.noTrustAnchor")
    }

    @Test("two parallel answers to one challenge: exactly one session")
    func parallelAnswers() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-sessions-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fixture = try SessionsFixture(path: directory.appendingPathComponent("s.sqlite").path)
        let card = try TestCard("specimen-1.8", ec: true)
        let challenge = try fixture.service.beginEIDLogin(application: "eloket")
        let signature = try card.sign(challenge.toBeSigned)
        let service = fixture.service
        let outcomes = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    (try? service.completeEIDLogin(transactionID: challenge.transactionID, signature: signature,
                                                   certificate: card.certificate, intermediates: card.intermediates)) != nil
                }
            }
            return await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(outcomes.filter { $0 }.count == 1)
        let count = try fixture.database.read { try $0.value("SELECT COUNT(*) FROM session", as: Int.self) }
        #expect(count == 1)
    }
}

@Suite("eID login through the real OCSP responder", .serialized,
       .enabled(if: respondersEnabled, "needs Tools/pki-responders.sh start (or SLEUTEL_PKI_RESPONDERS=1)"))
struct EIDLoginRevocationTests {
    static let now = Date()

    @Test("a good card logs in with its OCSP answer; a revoked card is refused")
    func revocation() throws {
        let fixture = try SessionsFixture(revocation: RevocationChecker(), at: Self.now)
        #expect(try fixture.login(TestCard("specimen-1.7")).session.level == AssuranceLevel(500))
        let error = expectSessionsError(.certificateRefused) { try fixture.login(TestCard("revoked-1.7")) }
        #expect(error?.trustCode == "trust.revoked")
    }

    @Test("responder down under hard-fail: refused, no session")
    func responderDown() throws {
        let checker = RevocationChecker(configuration: .init(ocspResponderURL: "http://127.0.0.1:8899/citizen-ca", useCRL: false))
        let fixture = try SessionsFixture(revocation: checker, at: Self.now)
        let error = expectSessionsError(.certificateRefused) { try fixture.login(TestCard("specimen-1.7")) }
        #expect(error?.trustCode == "trust.revocationUnavailable")
        let count = try fixture.database.read { try $0.value("SELECT COUNT(*) FROM session", as: Int.self) }
        #expect(count == 0)
    }
}
