import CryptoCore
import Foundation
import Rights
import Sessions
import SleutelTestSupport
import Testing
@testable import OIDC
@testable import Server

@Suite("OIDC clients in the database: registered, rotated and removed while the server runs; refresh-token rotation")
struct ClientRegistryTests {
    func authorize(_ server: ServerHarness, token: String, client: String) async throws -> ServerHarness.Reply {
        try await server.send("GET", "/oidc/authorize?response_type=code&client_id=\(client)&redirect_uri=https%3A%2F%2Fshop.example%2Fcb"
                              + "&scope=openid&state=s&code_challenge=\(OIDCTests.challenge)&code_challenge_method=S256", token: token)
    }

    func code(of reply: ServerHarness.Reply) -> String? {
        URLComponents(string: reply.headers["location"] ?? "")?.queryItems?.first { $0.name == "code" }?.value
    }

    func exchange(_ server: ServerHarness, code: String, secret: String?) async throws -> ServerHarness.Reply {
        try await server.send("POST", "/oidc/token", form: "grant_type=authorization_code&code=\(code)&redirect_uri=https%3A%2F%2Fshop.example%2Fcb"
                              + "&client_id=shop&code_verifier=\(OIDCTests.verifier)" + (secret.map { "&client_secret=\($0)" } ?? ""))
    }

    @Test("a client added to the database works at once; a rotated secret replaces the old one; a removed client is unknown")
    func withoutRestart() async throws {
        let server = try await ServerHarness()
        let token = try await server.login(TestCard("specimen-1.8", ec: true))
        let unknown = try await authorize(server, token: token, client: "shop")
        #expect(unknown.status == 401 && unknown.headers["location"] == nil, "an unknown client is refused without a redirect")
        let page = String(decoding: unknown.body, as: UTF8.self)
        #expect(unknown.headers["content-type"] == "text/html; charset=utf-8"
                    && (page.contains("aanmeldlink is ongeldig") || page.contains("login link is not valid")),
                "the person sees a page: \(page.prefix(200))")
        // Its language switch keeps the link and asks for the other language.
        let dutch = try await server.send("GET", "/oidc/authorize?client_id=shop&lang=nl")
        let dutchPage = String(decoding: dutch.body, as: UTF8.self)
        #expect(dutchPage.contains("aanmeldlink is ongeldig") && dutchPage.contains("href=\"/oidc/authorize?client_id=shop&amp;lang=en\""),
                "\(dutchPage.prefix(600))")

        let registry = server.oidc.registry
        try registry.register(OIDCClient(clientId: "shop", redirectUris: ["https://shop.example/cb"], application: "eloket", claims: [.name]))
        let first = try await authorize(server, token: token, client: "shop")
        #expect(first.status == 302 && first.headers["location"]?.hasPrefix("https://shop.example/cb?code=") == true)
        #expect(try await exchange(server, code: try #require(code(of: first)), secret: nil).status == 200)

        let secret = try registry.rotateSecret("shop")
        let second = try #require(code(of: try await authorize(server, token: token, client: "shop")))
        #expect(try await exchange(server, code: second, secret: nil).status == 401, "a confidential client without its secret")
        let third = try #require(code(of: try await authorize(server, token: token, client: "shop")))
        #expect(try await exchange(server, code: third, secret: "wrong").status == 401)
        let basic = try #require(code(of: try await authorize(server, token: token, client: "shop")))
        // Through curl: Foundation's URLSession on Linux waits forever on a Basic challenge.
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-s", "-i", "--max-time", "10", "-u", "shop:wrong", "http://127.0.0.1:\(server.port)/oidc/token", "--data",
                          "grant_type=authorization_code&code=\(basic)&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&code_verifier=\(OIDCTests.verifier)"]
        let output = Pipe()
        curl.standardOutput = output
        try curl.run()
        let answer = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).lowercased()
        curl.waitUntilExit()
        #expect(answer.hasPrefix("http/1.1 401") && answer.contains("www-authenticate: basic realm="), "\(answer.prefix(300))")
        let fourth = try #require(code(of: try await authorize(server, token: token, client: "shop")))
        #expect(try await exchange(server, code: fourth, secret: secret).status == 200)

        #expect(try registry.remove("shop"))
        let removed = try await authorize(server, token: token, client: "shop")
        #expect(removed.status == 401 && removed.headers["location"] == nil)
        #expect(try !registry.remove("shop"))
        #expect(throws: OIDCError.self) {
            try registry.register(OIDCClient(clientId: "evil", redirectUris: ["http://evil.example/cb"], application: "eloket", claims: []))
        }
        #expect(throws: OIDCError.self) {
            try registry.register(OIDCClient(clientId: "frag", redirectUris: ["https://shop.example/cb#x"], application: "eloket", claims: []))
        }
    }

    @Test("id_token_hint at the authorization endpoint: another person's hint with prompt=none → login_required; another client's → invalid_request")
    func idTokenHint() async throws {
        let server = try await ServerHarness()
        try server.oidc.registry.register(OIDCClient(clientId: "shop", redirectUris: ["https://shop.example/cb"], application: "eloket", claims: []))
        try server.oidc.registry.register(OIDCClient(clientId: "other", redirectUris: ["https://shop.example/cb"], application: "eloket", claims: []))
        func idToken(_ session: String, client: String = "shop") async throws -> String {
            let reply = try await authorize(server, token: session, client: client)
            let found = try #require(self.code(of: reply), "no code: \(reply.status)")
            let tokens = try await server.send("POST", "/oidc/token", form: "grant_type=authorization_code&code=\(found)"
                                               + "&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&client_id=\(client)&code_verifier=\(OIDCTests.verifier)")
            return try #require(tokens.json["id_token"] as? String)
        }
        func error(_ session: String, hint: String) async throws -> String? {
            let reply = try await server.send("GET", "/oidc/authorize?response_type=code&client_id=shop&redirect_uri=https%3A%2F%2Fshop.example%2Fcb"
                                              + "&scope=openid&prompt=none&id_token_hint=\(hint)&code_challenge=\(OIDCTests.challenge)"
                                              + "&code_challenge_method=S256", token: session)
            let items = URLComponents(string: reply.headers["location"] ?? "")?.queryItems ?? []
            return items.first { $0.name == "error" }?.value ?? (items.contains { $0.name == "code" } ? "code" : nil)
        }
        let bert = try await server.login(TestCard("specimen-1.8", ec: true))
        let alice = try await server.login(TestCard("specimen-1.7"))
        let bertHint = try await idToken(bert)
        #expect(try await error(bert, hint: bertHint) == "code", "the person's own hint")
        let bertAgain = try await server.login(TestCard("specimen-1.8", ec: true))
        #expect(try await error(bertAgain, hint: bertHint) == "code", "the same person in a new session")
        #expect(try await error(alice, hint: bertHint) == "login_required", "another person's session")
        #expect(try await error(alice, hint: try await idToken(alice, client: "other")) == "invalid_request", "another client's hint")
        #expect(try await error(alice, hint: "a.b.c") == "invalid_request", "not an ID token")
    }

    @Test("refresh tokens rotate; a spent one revokes the family and its access tokens; they die with the session")
    func refreshRotation() async throws {
        let server = try await ServerHarness()
        let token = try await server.login(TestCard("specimen-1.8", ec: true))
        try server.oidc.registry.register(OIDCClient(clientId: "shop", redirectUris: ["https://shop.example/cb"], application: "eloket", claims: []))
        func refresh(_ value: String) async throws -> ServerHarness.Reply {
            try await server.send("POST", "/oidc/token", form: "grant_type=refresh_token&refresh_token=\(value)&client_id=shop")
        }
        let issued = try await exchange(server, code: try #require(code(of: try await authorize(server, token: token, client: "shop"))), secret: nil)
        let first = try #require(issued.json["refresh_token"] as? String)
        let rotated = try await refresh(first)
        #expect(rotated.status == 200)
        let second = try #require(rotated.json["refresh_token"] as? String)
        let access = try #require(rotated.json["access_token"] as? String)
        #expect(second != first)
        #expect(try await server.send("GET", "/oidc/userinfo", token: access).status == 200)
        let reuse = try await refresh(first)
        #expect(reuse.status == 400 && reuse.json["error"] as? String == "invalid_grant")
        #expect(try await refresh(second).status == 400, "the family survived the reuse")
        #expect(try await server.send("GET", "/oidc/userinfo", token: access).status == 401, "the family's access token survived the reuse")

        // A fresh family ends with its session.
        let again = try await exchange(server, code: try #require(code(of: try await authorize(server, token: token, client: "shop"))), secret: nil)
        let live = try #require(again.json["refresh_token"] as? String)
        #expect(try server.fixture.service.revoke(token: token))
        #expect(try await refresh(live).status == 400)
    }
}

@Suite("OIDC signing keys: rotation without a restart")
struct SigningKeyRotationTests {
    func kid(_ jwt: String) throws -> String {
        let header = try #require(Base64URL.decode(String(jwt.split(separator: ".")[0])))
        return try #require((try JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])?["kid"] as? String)
    }

    @Test("a rotated-in key is published before it signs; the old key signs until then and stays published until it retires")
    func rotation() async throws {
        let server = try await ServerHarness()
        let clock = server.fixture.clock
        let database = server.fixture.service.database
        try SigningKeyRotation.seed(server.oidc.configuration.signingKey, database: database, at: clock.now)
        let old = try JWSSigner(key: server.oidc.configuration.signingKey).keyID
        let (new, signsFrom) = try SigningKeyRotation.rotate(database: database, publishAhead: 600, keepOld: 3600, at: clock.now)
        #expect(signsFrom == clock.now.addingTimeInterval(600))
        #expect(new != old)

        func published() async throws -> [String] {
            let jwks = try await server.send("GET", "/oidc/jwks")
            return ((jwks.json["keys"] as? [[String: Any]]) ?? []).compactMap { $0["kid"] as? String }
        }
        func idTokenKid() async throws -> String {
            let token = try await server.login(TestCard("specimen-1.8", ec: true))
            try server.oidc.registry.register(OIDCClient(clientId: "shop", redirectUris: ["https://shop.example/cb"], application: "eloket", claims: []))
            let reply = try await server.send("GET", "/oidc/authorize?response_type=code&client_id=shop&redirect_uri=https%3A%2F%2Fshop.example%2Fcb"
                                              + "&scope=openid&code_challenge=\(OIDCTests.challenge)&code_challenge_method=S256", token: token)
            let code = try #require(URLComponents(string: reply.headers["location"] ?? "")?.queryItems?.first { $0.name == "code" }?.value)
            let tokens = try await server.send("POST", "/oidc/token", form: "grant_type=authorization_code&code=\(code)"
                                               + "&redirect_uri=https%3A%2F%2Fshop.example%2Fcb&client_id=shop&code_verifier=\(OIDCTests.verifier)")
            return try kid(try #require(tokens.json["id_token"] as? String))
        }
        #expect(Set(try await published()) == [old, new], "both keys published")
        #expect(try await idTokenKid() == old, "the new key does not sign before its turn")
        clock.advance(601)
        #expect(try await idTokenKid() == new, "the new key signs after its turn")
        #expect(Set(try await published()) == [old, new], "the old key stays published while its tokens live")
        clock.advance(3600)
        #expect(try await published() == [new], "the old key retired")
    }
}
