import CryptoCore
import Foundation
import SleutelTestSupport
import Testing

extension AttackSuite {
    /// Issue 21: the login pages' forms take no post from another site, and no other site can log
    /// a person out.
    @Suite("Login pages and logout")
    struct LoginAttacks {
        static let password = "correct horse battery staple"
        /// Sleutel's origin as the loopback server's issuer names it.
        static let origin = "http://127.0.0.1"

        /// The login page of a fresh authorization request: its interaction and CSRF token.
        static func loginPage(_ server: LoopbackServer) async throws -> (interaction: String, csrf: String) {
            let challenge = Base64URL.encode(DigestAlgorithm.sha256.hash(Array(LoopbackServer.pkceVerifier.utf8)))
            let page = try await server.send("GET", "/oidc/authorize?response_type=code&client_id=attack-client"
                                             + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid&state=s"
                                             + "&code_challenge=\(challenge)&code_challenge_method=S256")
            #expect(page.status == 200)
            let html = String(decoding: page.body, as: UTF8.self)
            let interaction = try #require(html.firstMatch(of: /name="interaction" value="([^"]+)"/)?.1).description
            let csrf = try #require((page.headers["set-cookie"] ?? "").firstMatch(of: /sleutel_csrf=([A-Za-z0-9_-]{43})/)?.1).description
            return (interaction, csrf)
        }

        @Test("a cross-site post to the login forms: no CSRF cookie, a wrong token, another Origin, Sec-Fetch-Site cross-site → 403, no session")
        func crossSiteLoginPost() async throws {
            let server = try await LoopbackServer()
            let eid = try await server.login(TestCard("specimen-1.8", ec: true))
            #expect(try await server.send("PUT", "/v1/keys/password", json: ["username": "bert", "password": Self.password], token: eid).status == 204)
            let (interaction, csrf) = try await Self.loginPage(server)
            let attempts = Attempts(.crossSiteLoginPost)
            let wrong = Base64URL.encode(SecureRandom.bytes(32))
            // (cookie token, token sent, extra headers, what)
            let variants: [(String?, String, [String: String], String)] = [
                (nil, csrf, ["Origin": Self.origin], "no CSRF cookie (a SameSite=Strict cookie stays home)"),
                (csrf, wrong, ["Origin": Self.origin], "a token that is not the cookie's"),
                (csrf, "", ["Origin": Self.origin], "an empty token"),
                (csrf, csrf, ["Origin": "http://evil.example"], "another site's Origin"),
                (csrf, csrf, ["Origin": "null"], "an opaque Origin"),
                (csrf, csrf, ["Sec-Fetch-Site": "cross-site"], "Sec-Fetch-Site cross-site"),
                (csrf, csrf, ["Sec-Fetch-Site": "same-site"], "Sec-Fetch-Site same-site (a sibling host)"),
            ]
            // A wrong password: a post that got past the check would come back as the login page
            // with "wrong password" (200), not as the 403 of the check.
            let forms = [
                ("/login/password", "username=bert&password=wrong"),
                ("/login/code", "transaction=x&factor=totp&code=123456"),
                ("/login/organisation", "organisation=0441928931"),
            ]
            for (cookie, sent, headers, what) in variants {
                for (path, body) in forms {
                    var cookies = ["sleutel_session=\(eid)"]
                    if let cookie { cookies.append("sleutel_csrf=\(cookie)") }
                    let reply = try await server.send("POST", path, form: "interaction=\(interaction)&csrf=\(sent)&" + body,
                                                      cookie: cookies.joined(separator: "; "), headers: headers)
                    let opened = (reply.headers["set-cookie"] ?? "").contains("sleutel_session=") || reply.location != nil
                    attempts.record(accepted: reply.status != 403 || opened, "\(path): \(what) → \(reply.status)")
                }
                var jsonHeaders = headers
                jsonHeaders["X-Sleutel-CSRF"] = sent
                if let cookie { jsonHeaders["Cookie"] = "sleutel_csrf=\(cookie)" }
                let challenge = try await server.send("POST", "/login/eid/challenge", json: ["interaction": interaction], headers: jsonHeaders)
                attempts.record(accepted: challenge.status != 403, "/login/eid/challenge: \(what) → \(challenge.status)")
                #expect(challenge.errorCode == "request.crossSite", "\(what)")
            }
            // Control: the page's own post passes the check and reaches the password check.
            let own = try await server.send("POST", "/login/password", form: "interaction=\(interaction)&csrf=\(csrf)&username=bert&password=wrong",
                                            cookie: "sleutel_csrf=\(csrf)", headers: ["Origin": Self.origin])
            let text = String(decoding: own.body, as: UTF8.self)
            #expect(own.status == 200 && (text.contains("paswoord is niet juist") || text.contains("password is not correct")),
                    "the login page's own form did not reach the password check: \(own.status)")
        }

        @Test("logging a person out from another site: no hint, another session's hint, forged hints, an unconfirmed post → the session lives")
        func forcedLogout() async throws {
            let server = try await LoopbackServer()
            let card = try TestCard("specimen-1.8", ec: true)
            let victim = try await server.login(card)
            let other = try await server.login(card)
            func idToken(_ session: String) async throws -> String {
                let (_, query) = try await server.authorize(token: session, client: "plain-client")
                let code = try #require(query["code"], "no code: \(query)")
                return try #require(try await server.exchange(code: code, client: "plain-client").json["id_token"] as? String)
            }
            let own = try await idToken(victim)
            let otherSession = try await idToken(other)
            let parts = own.split(separator: ".").map(String.init)
            var payload = try #require(try JSONSerialization.jsonObject(with: Data(Base64URL.decode(parts[1]) ?? [])) as? [String: Any])
            payload["sid"] = "forged"
            let tampered = parts[0] + "." + Base64URL.encode(Array(try JSONSerialization.data(withJSONObject: payload))) + "." + parts[2]
            let none = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8)) + "." + parts[1] + "."
            let stranger = try PrivateKey.generateEC(curve: .p256)
            let input = parts[0] + "." + parts[1]
            let strangerSignature = try ECDSASignatureEncoding.raw(
                fromDER: stranger.ecdsaSign(digest: DigestAlgorithm.sha256.hash(Array(input.utf8))), componentLength: 32)
            let foreignKey = input + "." + Base64URL.encode(strangerSignature)

            let attempts = Attempts(.forcedLogout)
            func stillLive(_ what: String, _ reply: LoopbackServer.Reply) async throws {
                let session = try await server.send("GET", "/v1/session", token: victim)
                attempts.record(accepted: session.status != 200 || (reply.headers["set-cookie"] ?? "").contains("Max-Age=0"),
                                "\(what) → \(reply.status), session \(session.status)")
            }
            let cookie = "sleutel_session=\(victim)"
            try await stillLive("no hint", try await server.send("GET", "/oidc/logout", cookie: cookie))
            try await stillLive("no hint, a post", try await server.send("POST", "/oidc/logout", form: "client_id=attack-client", cookie: cookie))
            try await stillLive("another session's hint", try await server.send("GET", "/oidc/logout?id_token_hint=\(otherSession)", cookie: cookie))
            for (hint, what) in [(tampered, "a hint with another sid"), (none, "an unsigned hint (alg none)"), (foreignKey, "a hint signed by another key")] {
                let reply = try await server.send("GET", "/oidc/logout?id_token_hint=\(hint)", cookie: cookie)
                #expect(reply.status == 400, "\(what): \(reply.status)")
                try await stillLive(what, reply)
            }
            for headers in [["Origin": "http://evil.example"], ["Sec-Fetch-Site": "cross-site"], [:]] {
                // The confirmation form's post, made by another site: without the CSRF cookie and token.
                let reply = try await server.send("POST", "/oidc/logout", form: "confirm=yes&csrf=\(Base64URL.encode(SecureRandom.bytes(32)))",
                                                  cookie: cookie, headers: headers)
                try await stillLive("an unconfirmed confirmation post \(headers)", reply)
            }
            let unregistered = try await server.send("GET", "/oidc/logout?id_token_hint=\(own)&post_logout_redirect_uri=http%3A%2F%2Fevil.example%2F",
                                                     cookie: cookie)
            #expect(unregistered.status == 400 && unregistered.location == nil, "unregistered post_logout_redirect_uri: \(unregistered.status)")
            try await stillLive("an unregistered post_logout_redirect_uri", unregistered)

            // Control: the client's own logout with the session's hint ends it and returns with the state.
            let logout = try await server.send("GET", "/oidc/logout?id_token_hint=\(own)&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fbye"
                                               + "&state=z",
                                               cookie: cookie)
            #expect(logout.status == 303 && logout.location == "http://127.0.0.1:9/bye?state=z", "\(logout.status) \(logout.location ?? "")")
            #expect(try await server.send("GET", "/v1/session", token: victim).status == 401)
            #expect(try await server.send("GET", "/v1/session", token: other).status == 200, "the other session ended too")
        }
    }
}
