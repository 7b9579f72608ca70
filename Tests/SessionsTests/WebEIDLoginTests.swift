import CryptoCore
import Foundation
import SleutelTestSupport
import Testing
import WebEID

@testable import Sessions

@Suite("eID login with a Web eID token: origin, nonce, algorithm, Trust")
struct WebEIDLoginTests {
    static let origin = "https://login.sleutel.test"

    /// What the Web eID application or Sleutel's agent returns for `challenge` signed by `card`.
    static func token(_ card: TestCard, _ challenge: WebEIDChallenge, origin: String = origin, algorithm: String? = nil,
                      withIntermediates: Bool = true) throws -> WebEIDToken {
        let name = algorithm ?? (card.key.kind.isEC ? "ES384" : "RS256")
        let scheme = try #require(WebEID.Algorithm(name))
        let data = WebEID.signedData(origin: origin, nonce: challenge.nonce, digest: scheme.digest)
        var signature = try card.key.sign(data: data, algorithm: scheme.digest, pss: scheme.isPSS)
        if card.key.kind.isEC { signature = try ECDSASignatureEncoding.raw(fromDER: signature, componentLength: 48) }
        return WebEIDToken(unverifiedCertificate: Data(card.certificate).base64EncodedString(), algorithm: name,
                           signature: Data(signature).base64EncodedString(), appVersion: "https://sleutel.test/agent/1.0",
                           unverifiedIntermediateCertificates: withIntermediates ? card.intermediates.map { Data($0).base64EncodedString() } : nil)
    }

    @Test("an EC 1.8 card (ES384, r ‖ s) and an RSA 1.7 card (RS256 and PS256) log in at level 500")
    func login() throws {
        let fixture = try SessionsFixture()
        for (card, algorithm) in [(try TestCard("specimen-1.8", ec: true), "ES384"), (try TestCard("specimen-1.7"), "RS256"),
                                  (try TestCard("specimen-1.7"), "PS256")] {
            let challenge = try fixture.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
            #expect(Data(base64Encoded: challenge.nonce)?.count == 32)
            let issued = try fixture.service.completeWebEIDLogin(transactionID: challenge.transactionID,
                                                                 token: Self.token(card, challenge, algorithm: algorithm), origin: Self.origin)
            #expect(issued.session.level == AssuranceLevel(500))
            #expect(issued.session.method == .eidPin)
            #expect(issued.session.person != nil)
        }
    }

    @Test("a token for another origin, another nonce, or reused is refused, and a refused token spends the nonce")
    func binding() throws {
        let fixture = try SessionsFixture()
        let card = try TestCard("specimen-1.8", ec: true)
        // Signed for a phishing origin, presented to ours.
        let first = try fixture.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
        expectSessionsError(.signatureInvalid) {
            try fixture.service.completeWebEIDLogin(transactionID: first.transactionID,
                                                    token: Self.token(card, first, origin: "https://login.sleutel.test.evil.example"),
                                                    origin: Self.origin)
        }
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeWebEIDLogin(transactionID: first.transactionID, token: Self.token(card, first), origin: Self.origin)
        }
        // A good token completed at another origin than the login was started for.
        let second = try fixture.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeWebEIDLogin(transactionID: second.transactionID, token: Self.token(card, second),
                                                    origin: "https://other.sleutel.test")
        }
        // A token made for one nonce, presented for another transaction.
        let third = try fixture.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
        let fourth = try fixture.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
        expectSessionsError(.signatureInvalid) {
            try fixture.service.completeWebEIDLogin(transactionID: fourth.transactionID, token: Self.token(card, third), origin: Self.origin)
        }
        // Reuse of an accepted token.
        let token = try Self.token(card, third)
        _ = try fixture.service.completeWebEIDLogin(transactionID: third.transactionID, token: token, origin: Self.origin)
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeWebEIDLogin(transactionID: third.transactionID, token: token, origin: Self.origin)
        }
        // The eID kiosk/CLI transaction kind is not a Web eID one.
        let cardChallenge = try fixture.service.beginEIDLogin(application: "eloket")
        expectSessionsError(.challengeInvalid) {
            try fixture.service.completeWebEIDLogin(transactionID: cardChallenge.transactionID, token: token, origin: Self.origin)
        }
    }

    @Test("malformed tokens get a typed error naming the part; an algorithm of the other key family does not verify")
    func malformed() throws {
        let fixture = try SessionsFixture()
        let card = try TestCard("specimen-1.7")
        func attempt(_ code: SessionsError.Code, _ change: (WebEIDToken) -> WebEIDToken) throws {
            let challenge = try fixture.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
            let token = change(try Self.token(card, challenge))
            expectSessionsError(code) {
                try fixture.service.completeWebEIDLogin(transactionID: challenge.transactionID, token: token, origin: Self.origin)
            }
        }
        func with(_ t: WebEIDToken, certificate: String? = nil, algorithm: String? = nil, signature: String? = nil, format: String? = nil) -> WebEIDToken {
            WebEIDToken(unverifiedCertificate: certificate ?? t.unverifiedCertificate, algorithm: algorithm ?? t.algorithm,
                        signature: signature ?? t.signature, format: format ?? t.format, appVersion: t.appVersion,
                        unverifiedIntermediateCertificates: t.unverifiedIntermediateCertificates)
        }
        try attempt(.invalidInput) { with($0, format: "web-eid:2.0") }
        try attempt(.invalidInput) { with($0, algorithm: "none") }
        try attempt(.invalidInput) { with($0, algorithm: "HS256") }
        try attempt(.invalidInput) { with($0, signature: "not base64!") }
        try attempt(.invalidInput) { with($0, certificate: String(repeating: "A", count: 20_000)) }
        try attempt(.invalidInput) { with($0, certificate: Data([0x30, 0x03, 0x02, 0x01, 0x01]).base64EncodedString()) }
        try attempt(.signatureInvalid) { with($0, algorithm: "ES256") }  // an RSA signature claimed as ECDSA
        try attempt(.signatureInvalid) { with($0, algorithm: "RS384") }  // signed with RS256
    }

    @Test("without intermediates in the token, the configured ones complete the path; with none Trust refuses")
    func intermediates() throws {
        let card = try TestCard("specimen-1.8", ec: true)
        let bare = try SessionsFixture()
        let refused = try bare.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
        expectSessionsError(.certificateRefused) {
            try bare.service.completeWebEIDLogin(transactionID: refused.transactionID, token: Self.token(card, refused, withIntermediates: false),
                                                 origin: Self.origin)
        }
        var configuration = SessionsConfiguration()
        configuration.knownIntermediates = card.intermediates
        let configured = try SessionsFixture(configuration: configuration)
        let challenge = try configured.service.beginWebEIDLogin(application: "eloket", origin: Self.origin)
        let issued = try configured.service.completeWebEIDLogin(transactionID: challenge.transactionID,
                                                                token: Self.token(card, challenge, withIntermediates: false), origin: Self.origin)
        #expect(issued.session.level == AssuranceLevel(500))
    }

    @Test("only web origins Sleutel may serve a login page on are accepted")
    func origins() throws {
        let fixture = try SessionsFixture()
        for good in ["https://login.sleutel.test", "https://login.sleutel.test:8443", "http://127.0.0.1:8080", "http://localhost:8080"] {
            #expect(WebEID.checkedOrigin(good) == good)
        }
        for bad in ["http://login.sleutel.test", "https://login.sleutel.test/", "https://login.sleutel.test:443", "https://Login.sleutel.test",
                    "https://user@login.sleutel.test", "javascript:alert(1)", "null", "", "https://login.sleutel.test/path"] {
            #expect(WebEID.checkedOrigin(bad) == nil, "\(bad)")
            expectSessionsError(.invalidInput) { try fixture.service.beginWebEIDLogin(application: "eloket", origin: bad) }
        }
    }
}
