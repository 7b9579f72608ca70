import CryptoCore
import Foundation
import OIDC
import Sessions
import SleutelClient
import SleutelTestSupport
import Testing
import WebEID

@testable import Server

/// The login pages behind `/oidc/authorize`, driven as a browser would (forms, cookies, the eID
/// token the page gets from the card agent), without a browser: the headless-Chromium run with an
/// independent relying party is in the integration tests.
@Suite("Login pages: the keys offered, password + code and eID forms, cookies, CSRF, SSO")
struct LoginPageTests {
    static let redirect = "http%3A%2F%2F127.0.0.1%3A9%2Fcb"

    static func authorizePath(client: String = "test-client", extra: String = "") -> String {
        "/oidc/authorize?response_type=code&client_id=\(client)&redirect_uri=\(redirect)&scope=openid&state=s1&nonce=n1"
            + "&code_challenge=\(OIDCTests.challenge)&code_challenge_method=S256" + extra
    }

    /// A browser's cookie jar for one server.
    final class Browser: @unchecked Sendable {
        var cookies: [String: String] = [:]
        let server: ServerHarness

        init(_ server: ServerHarness) { self.server = server }

        func send(_ method: String, _ path: String, form: String? = nil, json: Any? = nil, headers: [String: String] = [:]) async throws -> HTTPReply {
            var fields = ["Accept-Language": "nl-BE,nl;q=0.9,en;q=0.5"].merging(headers) { $1 }
            if !cookies.isEmpty { fields["Cookie"] = cookies.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
            let reply = try await server.send(method, path, json: json, form: form, headers: fields)
            // Foundation joins several Set-Cookie fields with ", "; cookie values here hold no commas.
            for part in (reply.headers["set-cookie"] ?? "").components(separatedBy: ", ") {
                guard let pair = part.split(separator: ";").first, let equals = pair.firstIndex(of: "=") else { continue }
                let name = String(pair[..<equals]).trimmingCharacters(in: .whitespaces)
                let value = String(pair[pair.index(after: equals)...])
                if value.isEmpty { cookies[name] = nil } else { cookies[name] = value }
            }
            return reply
        }
    }

    /// The value of hidden field `name` in a page.
    static func field(_ name: String, in reply: HTTPReply) -> String? {
        let html = String(decoding: reply.body, as: UTF8.self)
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    static func query(_ location: String?) -> [String: String] {
        Dictionary((URLComponents(string: location ?? "")?.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
    }

    @Test("without a session the authorization endpoint shows the Dutch login page with every key eloket accepts, no-store, CSP and a CSRF cookie")
    func loginPage() async throws {
        let server = try await ServerHarness()
        let browser = Browser(server)
        let page = try await browser.send("GET", Self.authorizePath())
        #expect(page.status == 200)
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(page.headers["content-type"] == "text/html; charset=utf-8")
        #expect(page.headers["cache-control"] == "no-store")
        #expect(page.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)
        #expect(page.headers["content-security-policy"]?.contains("form-action 'self' http://127.0.0.1:9") == true)
        #expect(html.contains("<html lang=\"nl\">"))
        #expect(html.contains("Aanmelden met eID en pincode"))
        #expect(html.contains("Aanmelden met gebruikersnaam, paswoord en beveiligingscode"))
        #expect(browser.cookies["sleutel_csrf"]?.utf8.count == 43)
        #expect(Self.field("csrf", in: page) == browser.cookies["sleutel_csrf"])
        // English on request of the client (ui_locales) or the browser.
        let english = try await Browser(server).send("GET", Self.authorizePath(extra: "&ui_locales=en"))
        #expect(String(decoding: english.body, as: UTF8.self).contains("Log in with eID and PIN"))
        // A login_hint that is no enterprise number fills in the username; the page is same-origin-referrer only.
        let hinted = try await Browser(server).send("GET", Self.authorizePath(extra: "&login_hint=bert%22%3E"))
        #expect(String(decoding: hinted.body, as: UTF8.self).contains("value=\"bert&quot;&gt;\""), "the hint, HTML-escaped")
        #expect(page.headers["referrer-policy"] == "same-origin")
        // prompt=none without a session still answers the client at once.
        let none = try await browser.send("GET", Self.authorizePath(extra: "&prompt=none"))
        #expect(none.status == 302)
        #expect(Self.query(none.location)["error"] == "login_required")
    }

    @Test("password + TOTP through the forms: the session cookie is set and the browser goes back to the client with a code")
    func passwordAndTOTP() async throws {
        let server = try await ServerHarness()
        try OIDCTests.prepare(server)
        let (_, seed) = try await CodeRoutesTests().enrol(server, card: TestCard("specimen-1.8", ec: true))
        let browser = Browser(server)
        let page = try await browser.send("GET", Self.authorizePath(extra: "&acr_values=urn%3Abe%3Afedict%3Aiam%3Afas%3ALevel400"))
        let interaction = try #require(Self.field("interaction", in: page))
        let csrf = try #require(Self.field("csrf", in: page))
        // A wrong password shows the page again with the message, and nothing else.
        let wrong = try await browser.send("POST", "/login/password", form: "interaction=\(interaction)&csrf=\(csrf)&lang=nl&username=bert&password=nope")
        #expect(wrong.status == 200)
        #expect(String(decoding: wrong.body, as: UTF8.self).contains("Gebruikersnaam of paswoord is niet juist"))
        let password = try await browser.send("POST", "/login/password",
                                              form: "interaction=\(interaction)&csrf=\(csrf)&lang=nl&username=bert&password=correct+horse+battery+staple")
        #expect(password.status == 200, "\(String(decoding: password.body, as: UTF8.self))")
        let codePage = String(decoding: password.body, as: UTF8.self)
        #expect(codePage.contains("autocomplete=\"one-time-code\""))
        #expect(!codePage.contains("Enkel met paswoord"))  // level 400 asked: password alone is not offered
        let transaction = try #require(Self.field("transaction", in: password))
        let code = TestSecrets.totp(secret: seed, date: server.fixture.clock.now)
        let done = try await browser.send("POST", "/login/code",
                                          form: "interaction=\(interaction)&csrf=\(csrf)&lang=nl&transaction=\(transaction)&factor=totp&code=\(code)")
        #expect(done.status == 303, "\(String(decoding: done.body, as: UTF8.self))")
        let answer = Self.query(done.location)
        #expect(answer["state"] == "s1")
        let grant = try #require(answer["code"])
        #expect(done.headers["set-cookie"]?.contains("HttpOnly; SameSite=Lax") == true)
        let token = try await OIDCTests().exchange(server, code: grant)
        #expect(token.status == 200)
        // Single sign-on: the next authorization request with the cookie goes straight back with a code.
        let again = try await browser.send("GET", Self.authorizePath(client: "narrow-client"))
        #expect(again.status == 302)
        #expect(Self.query(again.location)["code"] != nil)
        // The interaction was single use.
        let replay = try await browser.send("POST", "/login/code",
                                            form: "interaction=\(interaction)&csrf=\(csrf)&lang=nl&transaction=\(transaction)&factor=totp&code=\(code)")
        #expect(replay.status != 303)
    }

    @Test("eID through the page: challenge, a Web eID token from the card agent's signer, session cookie, code; level 500 satisfies acr 500")
    func eidToken() async throws {
        let server = try await ServerHarness()
        try OIDCTests.prepare(server)
        let browser = Browser(server)
        let page = try await browser.send("GET", Self.authorizePath(extra: "&acr_values=urn%3Abe%3Afedict%3Aiam%3Afas%3ALevel500"))
        let html = String(decoding: page.body, as: UTF8.self)
        #expect(!html.contains("/login/password"))  // level 500: only the card
        let interaction = try #require(html.range(of: "data-interaction=\"").map { String(html[$0.upperBound...].prefix { $0 != "\"" }) })
        let csrf = try #require(browser.cookies["sleutel_csrf"])
        let headers = ["X-Sleutel-CSRF": csrf, "Origin": "http://127.0.0.1"]
        let challenge = try await browser.send("POST", "/login/eid/challenge", json: ["interaction": interaction], headers: headers)
        #expect(challenge.status == 201, "\(String(decoding: challenge.body, as: UTF8.self))")
        let card = try TestCard("specimen-1.8", ec: true)
        let signer = KeySigner(certificate: card.certificate, intermediates: card.intermediates, key: card.key)
        let token = try signer.webEIDToken(origin: "http://127.0.0.1", nonce: challenge.json["nonce"] as! String, appVersion: "test")
        let tokenJSON = try JSONSerialization.jsonObject(with: JSONEncoder().encode(token))
        let login = try await browser.send("POST", "/login/eid", json: ["interaction": interaction, "transactionId": challenge.json["transactionId"] as! String,
                                                                        "token": tokenJSON], headers: headers)
        #expect(login.status == 200, "\(String(decoding: login.body, as: UTF8.self))")
        let location = try #require(login.json["location"] as? String)
        #expect(Self.query(location)["code"] != nil)
        #expect(browser.cookies["sleutel_session"]?.utf8.count == 43)
    }

    @Test("CSRF: a form without the cookie, with another token or from another origin is refused before any password check")
    func crossSite() async throws {
        let server = try await ServerHarness()
        let browser = Browser(server)
        let page = try await browser.send("GET", Self.authorizePath())
        let interaction = try #require(Self.field("interaction", in: page))
        let csrf = try #require(Self.field("csrf", in: page))
        let form = "interaction=\(interaction)&csrf=\(csrf)&lang=nl&username=bert&password=x"
        // A cross-site form arrives without the SameSite=Strict cookie.
        let attacker = Browser(server)
        #expect(try await attacker.send("POST", "/login/password", form: form).status == 403)
        // Another token than the cookie's.
        #expect(try await browser.send("POST", "/login/password", form: form.replacingOccurrences(of: csrf, with: String(csrf.reversed()))).status == 403)
        // The right token, but the browser says the form came from another site.
        #expect(try await browser.send("POST", "/login/password", form: form, headers: ["Origin": "https://evil.example"]).status == 403)
        #expect(try await browser.send("POST", "/login/password", form: form, headers: ["Sec-Fetch-Site": "cross-site"]).status == 403)
        let eid = try await attacker.send("POST", "/login/eid/challenge", json: ["interaction": interaction])
        #expect(eid.status == 403)
        #expect(eid.errorCode == "request.crossSite")
    }

    @Test("prompt=login and max_age ask for a new login although a session exists; a weaker session is stepped up")
    func promptAndStepUp() async throws {
        let server = try await ServerHarness()
        try OIDCTests.prepare(server)
        let browser = Browser(server)
        let token = try await server.login(TestCard("specimen-1.8", ec: true))
        browser.cookies["sleutel_session"] = token
        #expect(try await browser.send("GET", Self.authorizePath()).status == 302)
        let login = try await browser.send("GET", Self.authorizePath(extra: "&prompt=login"))
        #expect(login.status == 200)
        server.fixture.clock.advance(120)
        let old = try await browser.send("GET", Self.authorizePath(extra: "&max_age=60"))
        #expect(old.status == 200)
        let fresh = try await browser.send("GET", Self.authorizePath(extra: "&max_age=600"))
        #expect(fresh.status == 302)
        #expect(Self.query(fresh.location)["code"] != nil)
    }
}
