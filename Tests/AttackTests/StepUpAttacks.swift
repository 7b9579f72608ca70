import Foundation
import OneTimeCodes
import Sessions
import SleutelTestSupport
import Testing

extension AttackSuite {
    /// Issue 19 item 1: a step-up with a weaker factor must not refresh what it did not prove.
    @Suite("Step-up freshness: a password over a stale eID session")
    struct StepUpAttacks {
        static let password = "correct horse battery staple"

        @Test("a password step-up of a stale eID session: level, method and time unchanged; keys refused; ID token tells the truth")
        func passwordOverStaleEID() async throws {
            let attempts = Attempts(.stepUpFreshness)
            let server = try await LoopbackServer()
            let clock = server.fixture.clock
            let card = try TestCard("specimen-1.7")
            // The owner logs in with the card, sets a password and leaves the session open on a shared PC.
            let owner = try await server.login(card)
            let eidTime = clock.now
            #expect(try await server.send("PUT", "/v1/keys/password", json: ["username": "bert", "password": Self.password], token: owner).status == 204)
            let keys = try await server.send("GET", "/v1/keys", token: owner)
            let passwordKey = try #require(((keys.json["keys"] as? [[String: Any]])?.first)?["id"] as? String)
            clock.advance(20 * 60)
            #expect(try await server.send("GET", "/v1/session", token: owner).status == 200)  // still live (idle 30 min)
            clock.advance(5 * 60)

            // Someone with only the password steps the stale session "up" with factor password.
            let begin = try await server.send("POST", "/v1/code/login", json: ["application": "eloket", "username": "bert", "password": Self.password])
            #expect(begin.status == 201)
            let transaction = try #require(begin.json["transactionId"] as? String)
            let complete = try await server.send("POST", "/v1/code/login/complete", json: ["transactionId": transaction, "factor": "password"], token: owner)
            #expect(complete.status == 201)
            let token = try #require(complete.json["token"] as? String)
            let session = try #require(complete.json["session"] as? [String: Any])
            #expect(session["level"] as? Int == 500)
            #expect(session["method"] as? String == "eidPin")
            let reported = try #require((session["authenticatedAt"] as? String).flatMap(Self.date))
            attempts.record(accepted: abs(reported.timeIntervalSince(clock.now)) < 60, "the password step-up reported as a fresh authentication")
            #expect(abs(reported.timeIntervalSince(eidTime)) < 2, "authenticatedAt must stay the card login's time")

            // With it: enrol a TOTP key, replace the password, remove the owner's key.
            let enrol = try await server.send("POST", "/v1/keys/totp", json: ["account": "mallory"], token: token)
            attempts.record(accepted: enrol.status < 300, "TOTP enrolment after a password step-up answered \(enrol.status)")
            #expect(enrol.status == 403)
            #expect(enrol.errorCode?.hasSuffix("activationNotAllowed") == true, "\(enrol.errorCode ?? "-")")
            let replace = try await server.send("PUT", "/v1/keys/password", json: ["username": "bert", "password": "mallory's own passphrase"], token: token)
            attempts.record(accepted: replace.status < 300, "password replacement after a password step-up answered \(replace.status)")
            #expect(replace.status == 403)
            let remove = try await server.send("DELETE", "/v1/keys/\(passwordKey)", token: token)
            attempts.record(accepted: remove.status < 300, "key removal after a password step-up answered \(remove.status)")
            #expect(remove.status == 403)
            let destination = try await server.send("POST", "/v1/keys/destination", json: ["channel": "sms", "destination": "+32470999999"], token: token)
            attempts.record(accepted: destination.status < 300, "SMS destination after a password step-up answered \(destination.status)")
            #expect(destination.status == 403)

            // The ID token of that session: what was proven (the card), and when (25 minutes ago).
            let authorized = try await server.authorize(token: token, client: "plain-client")
            let code = try #require(authorized.query["code"])
            let exchanged = try await server.exchange(code: code, client: "plain-client")
            let claims = try JWTClaims.decode(try #require(exchanged.json["id_token"] as? String))
            let authTime = try #require(claims["auth_time"] as? Int)
            attempts.record(accepted: abs(Double(authTime) - clock.now.timeIntervalSince1970) < 60, "ID token auth_time says now")
            #expect(abs(Double(authTime) - eidTime.timeIntervalSince1970) < 2)
            #expect(claims["acr"] as? String == "urn:be:fedict:iam:fas:Level500")
            #expect(claims["amr"] as? [String] == ["sc", "pin", "hwk"])

            // Control: a fresh card login still activates keys.
            let fresh = try await server.login(card)
            #expect(try await server.send("POST", "/v1/keys/totp", json: ["account": "bert"], token: fresh).status == 201)
        }

        @Test("the 10-minute card rule holds whatever happened since: TOTP step-ups and re-logins by code do not count")
        func cardRuleAfterCodeStepUp() throws {
            let attempts = Attempts(.stepUpFreshness)
            let fixture = try SessionsFixture()
            let card = try TestCard("specimen-1.7")
            let eid = try fixture.login(card)
            let authority = try #require(eid.session.activationAuthority)
            try fixture.codes.setPassword(username: "bert", password: Self.password, authority: authority)
            let enrolment = try fixture.codes.enrollTOTP(authority: authority, account: "bert")
            let seed = try #require(Base32.decode(enrolment.secret))
            try fixture.codes.confirmTOTP(person: specimenRRN, credentialID: enrolment.credentialID, code: OTP.totp(secret: seed, date: fixture.clock.now))
            fixture.clock.advance(11 * 60)

            // A TOTP step-up (level 400) of the level-500 eID session: nothing it did not prove changes.
            let start = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: Self.password, source: "192.0.2.1")
            let stepped = try fixture.service.completeCodeLogin(transactionID: start.transactionID, factor: .totp,
                                                                code: OTP.totp(secret: seed, date: fixture.clock.now), source: "192.0.2.1",
                                                                stepUpToken: eid.token)
            #expect(stepped.session.level.fasLevel == 500)
            #expect(stepped.session.method == .eidPin)
            #expect(stepped.session.authenticatedAt == eid.session.authenticatedAt)
            #expect(stepped.session.cardAuthenticatedAt == eid.session.cardAuthenticatedAt)
            let authorityAfter = stepped.session.activationAuthority
            attempts.record(accepted: (try? fixture.codes.enrollTOTP(authority: try #require(authorityAfter), account: "x")) != nil,
                            "key enrolment 11 minutes after the card, after a TOTP step-up")

            // A TOTP-only session (no card at all) carries no activation authority.
            fixture.clock.advance(31)
            let codeOnly = try fixture.service.beginCodeLogin(application: "eloket", username: "bert", password: Self.password, source: "192.0.2.1")
            let totp = try fixture.service.completeCodeLogin(transactionID: codeOnly.transactionID, factor: .totp,
                                                             code: OTP.totp(secret: seed, date: fixture.clock.now), source: "192.0.2.1")
            #expect(totp.session.cardAuthenticatedAt == nil)
            attempts.record(accepted: totp.session.activationAuthority != nil, "a TOTP session as activation authority")

            // The same TOTP session stepped up by the card: level 500, card time now, keys allowed (control).
            let challenge = try fixture.service.beginEIDLogin(application: "eloket")
            let raised = try fixture.service.completeEIDLogin(transactionID: challenge.transactionID, signature: card.sign(challenge.toBeSigned),
                                                              certificate: card.certificate, intermediates: card.intermediates, stepUpToken: totp.token)
            #expect(raised.session.level.fasLevel == 500)
            #expect(raised.session.method == .eidPin)
            #expect(raised.session.cardAuthenticatedAt == fixture.clock.now)
            #expect(raised.session.authenticatedAt == fixture.clock.now)
            #expect((try? fixture.codes.enrollTOTP(authority: try #require(raised.session.activationAuthority), account: "y")) != nil)
        }

        static func date(_ text: String) -> Date? {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
            return formatter.date(from: text) ?? ISO8601DateFormatter().date(from: text)
        }
    }
}

/// Decodes a JWT payload without verifying it (the claims under test; signatures are tested in ServerTests).
enum JWTClaims {
    static func decode(_ token: String) throws -> [String: Any] {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { throw AttackSetupError("not a JWT") }
        var text = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text) else { throw AttackSetupError("JWT payload is not base64url") }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}
