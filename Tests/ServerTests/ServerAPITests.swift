import CryptoCore
import Foundation
import Rights
import Server
import Sessions
import SleutelTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("HTTP API through a real loopback port")
struct ServerAPITests {
    @Test("health and the OpenAPI document, which lists every route the server has")
    func healthAndOpenAPI() async throws {
        let server = try await ServerHarness()
        let health = try await server.send("GET", "/health")
        #expect(health.status == 200)
        #expect(health.json["status"] as? String == "ok")
        let document = try await server.send("GET", "/openapi.json")
        #expect(document.status == 200)
        let paths = document.json["paths"] as? [String: Any] ?? [:]
        for path in ["/health", "/v1/eid/challenge", "/v1/eid/login", "/v1/session", "/v1/session/organisation",
                     "/v1/session/access/{application}", "/v1/rights", "/v1/profile", "/v1/keys/check",
                     "/v1/code/login", "/v1/code/login/send", "/v1/code/login/complete", "/v1/keys", "/v1/keys/totp",
                     "/v1/keys/totp/confirm", "/v1/keys/destination", "/v1/keys/destination/confirm", "/v1/keys/password",
                     "/v1/keys/{id}", "/v1/otp/validate", "/.well-known/openid-configuration", "/oidc/jwks", "/oidc/authorize",
                     "/oidc/token", "/oidc/userinfo", "/oidc/logout", "/login/page", "/assets/{name}", "/login/password",
                     "/login/code/enter", "/login/code/send", "/login/code", "/login/eid/challenge", "/login/eid",
                     "/login/organisation", "/login/refused"] {
            #expect(paths[path] != nil, "openapi.json lacks \(path)")
        }
    }

    @Test("eID login over HTTP, session, access check, logout")
    func loginAndLogout() async throws {
        let server = try await ServerHarness()
        let token = try await server.login(TestCard("specimen-1.8", ec: true))
        let session = try await server.send("GET", "/v1/session", token: token)
        #expect(session.status == 200)
        #expect(session.json["level"] as? Int == 500)
        #expect(session.json["acr"] as? String == "urn:be:fedict:iam:fas:Level500")
        #expect(!String(decoding: session.body, as: UTF8.self).contains("82020200126"), "the national number is not in session replies")
        #expect(try await server.send("GET", "/v1/session/access/eloket", token: token).status == 200)
        let metrics = try await server.send("GET", "/metrics")
        #expect(metrics.status == 200)
        #expect(String(decoding: metrics.body, as: UTF8.self).contains(#"sleutel_logins_total{method="eidPin",outcome="ok"}"#))
        #expect(try await server.send("DELETE", "/v1/session", token: token).status == 204)
        let after = try await server.send("GET", "/v1/session", token: token)
        #expect(after.status == 401)
        #expect(after.errorCode == "session.sessionInvalid")
    }

    @Test("a replayed answer, a forged signature, a revoked-looking token and garbage each get their stable code")
    func refusals() async throws {
        let server = try await ServerHarness()
        let card = try TestCard("specimen-1.7")
        let challenge = try await server.send("POST", "/v1/eid/challenge", json: ["application": "eloket"])
        let toBeSigned = Array(Data(base64Encoded: challenge.json["toBeSigned"] as! String)!)
        let answer: [String: Any] = [
            "transactionId": challenge.json["transactionId"] as! String,
            "signature": Data(try card.sign(toBeSigned)).base64EncodedString(),
            "certificate": Data(card.certificate).base64EncodedString(),
            "intermediates": card.intermediates.map { Data($0).base64EncodedString() },
        ]
        #expect(try await server.send("POST", "/v1/eid/login", json: answer).status == 201)
        let replay = try await server.send("POST", "/v1/eid/login", json: answer)
        #expect(replay.status == 401)
        #expect(replay.errorCode == "session.challengeInvalid")

        let second = try await server.send("POST", "/v1/eid/challenge", json: ["application": "eloket"])
        var forged = answer
        forged["transactionId"] = second.json["transactionId"] as! String
        let refused = try await server.send("POST", "/v1/eid/login", json: forged)
        #expect(refused.status == 401)
        #expect(refused.errorCode == "session.signatureInvalid")

        let expired = try TestCard("expired-1.7")
        let third = try await server.send("POST", "/v1/eid/challenge", json: ["application": "eloket"])
        let tbs = Array(Data(base64Encoded: third.json["toBeSigned"] as! String)!)
        let untrusted = try await server.send("POST", "/v1/eid/login", json: [
            "transactionId": third.json["transactionId"] as! String, "signature": Data(try expired.sign(tbs)).base64EncodedString(),
            "certificate": Data(expired.certificate).base64EncodedString(),
            "intermediates": expired.intermediates.map { Data($0).base64EncodedString() },
        ])
        #expect(untrusted.status == 401)
        #expect(untrusted.errorCode == "session.certificateRefused")
        #expect((untrusted.json["error"] as? [String: Any])?["trustCode"] as? String == "trust.expired")

        for body in ["{", "[]", #"{"application": 7}"#, #"{"app": "x"}"#] {
            var request = URLRequest(url: URL(string: "http://127.0.0.1:\(server.port)/v1/eid/challenge")!)
            request.httpMethod = "POST"
            request.httpBody = Data(body.utf8)
            let (data, response) = try await LoopbackHTTP.session.data(for: request)
            #expect((response as! HTTPURLResponse).statusCode == 400, "\(body)")
            #expect(String(decoding: data, as: UTF8.self).contains("request.invalidBody"), "\(body)")
        }
        let big = try await server.send("POST", "/v1/eid/challenge", json: ["application": String(repeating: "x", count: 70_000)])
        #expect(big.status == 413)
        #expect(try await server.send("GET", "/v1/session", token: "not-a-token").status == 401)
        #expect(try await server.send("GET", "/v1/session").status == 401)
    }

    @Test("organisation choice over HTTP: allowed for the representative, the seeds' refusal text for anyone else")
    func organisation() async throws {
        let server = try await ServerHarness()
        let organisation = try KBONumber("0441.928.931")
        try server.fixture.rights.registerOrganisation(organisation, name: "FN HERSTAL")
        try server.fixture.rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket", legalRepresentativeHasAccess: true,
                                                                            baseRight: "ondernemer"))
        try server.fixture.rights.defineRight(RightDefinition(application: "eloket", code: "ondernemer", label: "e-loket"))
        try server.fixture.rights.recordLegalRepresentative(person: INSZ("82020200126", origin: .certificate), organisation: organisation,
                                                            validFrom: LocalDate(year: 2010, month: 1, day: 1)!, validUntil: nil)
        let representative = try await server.login(TestCard("specimen-1.8", ec: true))
        let allowed = try await server.send("POST", "/v1/session/organisation", json: ["application": "eloket"], token: representative)
        #expect(allowed.status == 200)
        #expect(allowed.json["decision"] as? String == "allowed")
        #expect(allowed.json["organisation"] as? String == "0441928931")
        #expect(allowed.json["organisationNames"] as? [String: String] == ["0441928931": "FN HERSTAL"])
        // Two organisations: the choice lists both, with the names the KBO data has (none for the second).
        let second = try KBONumber("0566.988.259")
        try server.fixture.rights.registerOrganisation(second, name: nil)
        try server.fixture.rights.recordLegalRepresentative(person: INSZ("82020200126", origin: .certificate), organisation: second,
                                                            validFrom: LocalDate(year: 2010, month: 1, day: 1)!, validUntil: nil)
        let choice = try await server.send("POST", "/v1/session/organisation", json: ["application": "eloket"], token: representative)
        #expect(choice.json["decision"] as? String == "chooseOrganisation")
        #expect(choice.json["organisationNames"] as? [String: String] == ["0441928931": "FN HERSTAL"])
        let rights = try await server.send("GET", "/v1/rights", token: representative)
        #expect((rights.json["organisations"] as? [Any])?.count == 2)

        let stranger = try await server.login(TestCard("foreigner-1.7", foreigner: true))
        let refused = try await server.send("POST", "/v1/session/organisation", json: ["application": "eloket", "organisation": "0441928931"],
                                            token: stranger)
        #expect(refused.status == 403)
        #expect(refused.json["message"] as? String == "U beschikt niet over de rechten om aan te melden op de toepassing")
    }

    @Test("an application above the session's level answers step-up with the level needed")
    func stepUp() async throws {
        var sessions = SessionsConfiguration()
        sessions.rules["strict"] = AccessRule(minimumLevel: AssuranceLevel(500), acceptedMethods: [.smsCode])
        let server = try await ServerHarness(sessions: sessions)
        let token = try await server.login(TestCard("specimen-1.8", ec: true))
        let reply = try await server.send("GET", "/v1/session/access/strict", token: token)
        #expect(reply.status == 403)
        #expect(reply.errorCode == "session.methodNotAccepted")
    }

    @Test("key check endpoint gives verdicts and refuses unknown policies")
    func keyCheck() async throws {
        let server = try await ServerHarness()
        let pem = try String(contentsOf: TestCard.directory.appendingPathComponent("persons/specimen-1.7/auth.crt"), encoding: .utf8)
        let good = try await server.send("POST", "/v1/keys/check", json: ["pem": pem, "policy": "nist"])
        #expect(good.status == 200)
        #expect(good.json["acceptable"] as? Bool == true)
        // BSI TR-02102-1 wants RSA of 3000 bits or more since 2024: the card's RSA-2048 fails it.
        let bsi = try await server.send("POST", "/v1/keys/check", json: ["pem": pem, "policy": "bsi"])
        #expect(bsi.json["acceptable"] as? Bool == false)
        let weak = try PrivateKey.generateRSA(bits: 1024).publicKey().spkiDER()
        let refused = try await server.send("POST", "/v1/keys/check", json: ["der": Data(weak).base64EncodedString()])
        #expect(refused.json["acceptable"] as? Bool == false)
        #expect(try await server.send("POST", "/v1/keys/check", json: ["pem": pem, "policy": "nope"]).status == 400)
        let garbage = try await server.send("POST", "/v1/keys/check", json: ["pem": "garbage"])
        #expect(garbage.status == 200)
        #expect(garbage.json["acceptable"] as? Bool == false)
        #expect(garbage.json["problem"] as? String != nil)
        #expect(try await server.send("POST", "/v1/keys/check", json: ["der": ""]).status == 400)
        // Bounded work per request: at most 16 keys, and RSA moduli over 16384 bits are not checked.
        let seventeen = String(repeating: pem, count: 17)
        let tooMany = try await server.send("POST", "/v1/keys/check", json: ["pem": seventeen])
        #expect(tooMany.status == 400)
        #expect(((tooMany.json["error"] as? [String: Any])?["message"] as? String)?.contains("at most 16") == true)
        #expect(try await server.send("POST", "/v1/keys/check", json: ["pem": String(repeating: pem, count: 16)]).status == 200)
        let huge = try BigNum.random(bits: 40_000, odd: true)
        let hugeDER = HandmadeKeys.rsaSPKI(n: huge, e: BigNum(65537))
        let started = ContinuousClock.now
        let oversized = try await server.send("POST", "/v1/keys/check", json: ["der": Data(hugeDER).base64EncodedString()])
        #expect(ContinuousClock.now - started < .seconds(2))
        #expect(oversized.json["acceptable"] as? Bool == false)
        let checks = (oversized.json["verdicts"] as? [[String: Any]])?.first?["checks"] as? [[String: Any]]
        #expect(checks?.map { $0["id"] as? String } == ["rsa.size"])
    }

    @Test("per-address rate limit answers 429 with a retry hint")
    func rateLimit() async throws {
        var configuration = ServerHarness.defaultConfiguration
        configuration.rateLimitPerSecond = 0.01  // no refill while the test runs, however slow the machine
        configuration.rateLimitBurst = 3
        let server = try await ServerHarness(configuration: configuration)
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try await server.send("GET", "/health").status) }
        #expect(statuses.prefix(3).allSatisfy { $0 == 200 })
        #expect(statuses.last == 429)
        let limited = try await server.send("GET", "/health")
        #expect(limited.errorCode == "request.rateLimited")
        // The hint is in the Retry-After header as well as in the body (whole seconds, at least 1).
        let header = try #require(limited.headers["retry-after"].flatMap { Int($0) }, "no Retry-After header")
        #expect(header >= 1)
        #expect((limited.json["error"] as? [String: Any])?["retryAfterSeconds"] as? String == String(header))
    }
}
