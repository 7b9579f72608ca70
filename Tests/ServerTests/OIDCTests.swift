import CryptoCore
import Foundation
import Rights
import Sessions
import SleutelTestSupport
import Testing
@testable import OIDC
@testable import Server

@Suite("OpenID Connect provider: code flow with PKCE, ES256 ID token, claims per client")
struct OIDCTests {
    static let verifier = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ-._~"
    static var challenge: String {
        Data(DigestAlgorithm.sha256.hash(Array(verifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    static func prepare(_ server: ServerHarness) throws {
        let rights = server.fixture.rights
        try rights.registerOrganisation(KBONumber("0441.928.931"), name: "FN HERSTAL")
        try rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket", legalRepresentativeHasAccess: true, baseRight: "ondernemer"))
        try rights.defineRight(RightDefinition(application: "eloket", code: "ondernemer", label: "e-loket"))
        try rights.recordLegalRepresentative(person: INSZ("82020200126", origin: .certificate), organisation: KBONumber("0441.928.931"),
                                             validFrom: LocalDate(year: 2010, month: 1, day: 1)!, validUntil: nil)
    }

    func authorize(_ server: ServerHarness, token: String?, client: String = "test-client", extra: String = "") async throws -> [String: String] {
        let path = "/oidc/authorize?response_type=code&client_id=\(client)&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid&state=s1"
            + "&nonce=n1&code_challenge=\(Self.challenge)&code_challenge_method=S256" + extra
        let reply = try await server.send("GET", path, token: token)
        #expect(reply.status == 302)
        let location = URLComponents(string: reply.headers["location"] ?? "")
        #expect(location?.path == "/cb")
        return Dictionary((location?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
    }

    func exchange(_ server: ServerHarness, code: String, verifier: String = OIDCTests.verifier,
                  client: String = "test-client") async throws -> ServerHarness.Reply {
        try await server.send("POST", "/oidc/token",
                              form: "grant_type=authorization_code&code=\(code)&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"
                                  + "&client_id=\(client)&code_verifier=\(verifier)")
    }

    @Test("code flow: the ID token verifies with the JWKS in PyJWT and carries level, organisation and rights")
    func codeFlow() async throws {
        let server = try await ServerHarness()
        try Self.prepare(server)
        let token = try await server.login(TestCard("specimen-1.8", ec: true))
        let redirect = try await authorize(server, token: token)
        #expect(redirect["state"] == "s1")
        let code = try #require(redirect["code"])
        let reply = try await exchange(server, code: code)
        #expect(reply.status == 200, "\(String(decoding: reply.body, as: UTF8.self))")
        let idToken = try #require(reply.json["id_token"] as? String)
        let accessToken = try #require(reply.json["access_token"] as? String)

        let jwks = try await server.send("GET", "/oidc/jwks")
        let discovery = try await server.send("GET", "/.well-known/openid-configuration")
        #expect(discovery.json["code_challenge_methods_supported"] as? [String] == ["S256"])
        let claims = try PyJWT.verify(idToken: idToken, jwks: jwks.body, audience: "test-client", issuer: "http://127.0.0.1")
        #expect(claims["acr"] as? String == "urn:be:fedict:iam:fas:Level500")
        #expect(claims["amr"] as? [String] == ["sc", "pin", "hwk"])
        #expect(claims["nonce"] as? String == "n1")
        #expect(claims["rrn"] as? String == "82020200126")
        #expect(claims["vo_orgcode"] as? String == "0441928931")
        #expect(claims["vo_orgnaam"] as? String == "FN HERSTAL")
        #expect(claims["eloket_rol_3d"] as? [String] == ["ondernemer:0441928931"])
        #expect(claims["given_name"] as? String == "Bert Geldigekaart")

        let userinfo = try await server.send("GET", "/oidc/userinfo", token: accessToken)
        #expect(userinfo.status == 200)
        #expect(userinfo.json["sub"] as? String == claims["sub"] as? String)

        // The code is single use; replaying it also revokes the access token it produced.
        let replay = try await exchange(server, code: code)
        #expect(replay.status == 400)
        #expect(replay.json["error"] as? String == "invalid_grant")
        #expect(try await server.send("GET", "/oidc/userinfo", token: accessToken).status == 401)
    }

    @Test("form encoding: plain, plus and percent-encoded names and values; malformed escapes and repeats refused")
    func formEncoding() throws {
        let form = try FormEncoding.parse("a=1&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&b=x+y&empty=&flag&c=%C3%A9t%C3%A9&d=a%2Bb")
        #expect(form == ["a": "1", "redirect_uri": "http://127.0.0.1:9/cb", "b": "x y", "empty": "", "flag": "", "c": "été", "d": "a+b"])
        #expect(try FormEncoding.parse("") == [:])
        #expect(throws: OIDCError.self) { try FormEncoding.parse("a=%zz") }
        #expect(throws: OIDCError.self) { try FormEncoding.parse("a=%C3") }
        #expect(throws: OIDCError.self) { try FormEncoding.parse("a=1&a=2") }
    }

    @Test("a client receives only the claims it is registered for; sub differs per client")
    func claimsPerClient() async throws {
        let server = try await ServerHarness()
        try Self.prepare(server)
        let token = try await server.login(TestCard("specimen-1.8", ec: true))
        let wide = try await exchange(server, code: try #require(try await authorize(server, token: token)["code"]))
        let narrow = try await exchange(server, code: try #require(try await authorize(server, token: token, client: "narrow-client")["code"]),
                                        client: "narrow-client")
        let wideClaims = try JWTPayload.decode(try #require(wide.json["id_token"] as? String))
        let narrowClaims = try JWTPayload.decode(try #require(narrow.json["id_token"] as? String))
        #expect(narrowClaims["rrn"] == nil)
        #expect(narrowClaims["given_name"] == nil)
        #expect(narrowClaims["eloket_rol_3d"] == nil)
        #expect(narrowClaims["vo_orgcode"] as? String == "0441928931")
        #expect(narrowClaims["sub"] as? String != wideClaims["sub"] as? String)
    }

    @Test("pairwise sub: HMAC-SHA256 over the length-prefixed client id and the subject (known answer from Python's hmac)")
    func pairwiseSubjectKnownAnswer() {
        let key = (0..<32).map { UInt8($0) }
        #expect(OIDCProvider.pairwiseSubject(key: key, clientId: "portal", subject: "42") == "FVfSweIduNNiSJLmymld8RFC_ayFmlMc")
        // Joined with a "|" separator, both pairs would read "a|b|c".
        #expect(OIDCProvider.pairwiseSubject(key: key, clientId: "a|b", subject: "c") == "i1UJSZEL0o2RLklNA1NiWZj3N2xnU1mv")
        #expect(OIDCProvider.pairwiseSubject(key: key, clientId: "a", subject: "b|c") == "e4tDJwXfotEanh-tKDS9ByWNIL8p2Dsv")
    }

    @Test("PKCE, redirect URI, client and session are all enforced")
    func refusals() async throws {
        let server = try await ServerHarness()
        try Self.prepare(server)
        let token = try await server.login(TestCard("specimen-1.8", ec: true))

        let wrongVerifier = try await exchange(server, code: try #require(try await authorize(server, token: token)["code"]),
                                               verifier: String(repeating: "x", count: 43))
        #expect(wrongVerifier.json["error"] as? String == "invalid_grant")

        #expect(try await authorize(server, token: nil, extra: "&prompt=none")["error"] == "login_required")
        #expect(try await authorize(server, token: token, extra: "&acr_values=urn%3Abe%3Afedict%3Aiam%3Afas%3ALevel500")["code"] != nil)

        let noPKCE = try await server.send("GET", "/oidc/authorize?response_type=code&client_id=test-client"
                                           + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid", token: token)
        #expect(URLComponents(string: noPKCE.headers["location"] ?? "")?.queryItems?.first { $0.name == "error" }?.value == "invalid_request")

        let evil = try await server.send("GET", "/oidc/authorize?response_type=code&client_id=test-client&redirect_uri=http%3A%2F%2Fevil.example%2Fcb"
                                         + "&scope=openid&code_challenge=\(Self.challenge)&code_challenge_method=S256", token: token)
        #expect(evil.status == 400, "an unregistered redirect_uri is never redirected to")
        #expect(evil.headers["location"] == nil)
        #expect(try await server.send("GET", "/oidc/authorize?client_id=nobody", token: token).status == 401)

        // Ending the session (card removed) ends its access tokens.
        let reply = try await exchange(server, code: try #require(try await authorize(server, token: token)["code"]))
        let accessToken = try #require(reply.json["access_token"] as? String)
        #expect(try await server.send("GET", "/oidc/userinfo", token: accessToken).status == 200)
        try server.fixture.service.revoke(token: token)
        #expect(try await server.send("GET", "/oidc/userinfo", token: accessToken).status == 401)
    }

    @Test("a person without rights for the application is refused with the seeds' text")
    func refusedPerson() async throws {
        let server = try await ServerHarness()
        try Self.prepare(server)
        let token = try await server.login(TestCard("foreigner-1.7", foreigner: true))
        // The person sees the refusal page with the text; its link returns to the client with access_denied.
        let page = try await server.send("GET", "/oidc/authorize?response_type=code&client_id=test-client&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"
                                         + "&scope=openid&state=s1&code_challenge=\(Self.challenge)&code_challenge_method=S256", token: token,
                                         headers: ["Accept-Language": "nl"])
        #expect(page.status == 403)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(html.contains("U beschikt niet over de rechten om aan te melden op de toepassing"))
        #expect(html.contains("href=\"http://127.0.0.1:9/cb?error=access_denied"))
        #expect(!html.contains("code="))
    }
}

/// Decodes a JWT payload without verifying it (for claim comparisons after PyJWT verified one).
enum JWTPayload {
    static func decode(_ token: String) throws -> [String: Any] {
        let parts = token.split(separator: ".")
        guard parts.count == 3 else { throw CocoaError(.coderReadCorrupt) }
        var text = String(parts[1]).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return try JSONSerialization.jsonObject(with: Data(base64Encoded: text)!) as? [String: Any] ?? [:]
    }
}

/// Verifies an ID token with PyJWT (Debian python3-jwt, installed by Tools/setup.sh): an
/// independent JOSE implementation checks our ES256 signature, `aud`, `iss` and `exp`.
enum PyJWT {
    static func verify(idToken: String, jwks: Data, audience: String, issuer: String) throws -> [String: Any] {
        let script = """
            import json, sys, jwt
            jwks = json.loads(sys.argv[1])
            token = sys.stdin.read().strip()
            header = jwt.get_unverified_header(token)
            assert header["alg"] == "ES256"
            key = next(jwt.PyJWK(k) for k in jwks["keys"] if k["kid"] == header["kid"])
            print(json.dumps(jwt.decode(token, key.key, algorithms=["ES256"], audience=sys.argv[2], issuer=sys.argv[3])))
            """
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, String(decoding: jwks, as: UTF8.self), audience, issuer]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        input.fileHandleForWriting.write(Data(idToken.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        let problem = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            Issue.record("PyJWT refused the ID token: \(String(decoding: problem, as: UTF8.self))")
            return [:]
        }
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }
}
