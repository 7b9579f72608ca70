import CryptoCore
import Foundation
import OneTimeCodes
import Rights
import Sessions
import SleutelTestSupport
import Storage
import Testing

func base64url(_ bytes: [UInt8]) -> String {
    Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

extension AttackSuite {
    /// Attacks over the HTTP API of `SleutelServer` on a loopback port.
    @Suite("HTTP API: SleutelServer on a loopback port")
    struct HTTPAttacks {
        @Test("session token guessing: random tokens, near misses of a live token, an ended token, header tricks → 401; then the rate limit")
        func tokenGuessing() async throws {
            let attempts = Attempts(.tokenGuessing)
            let server = try await LoopbackServer()
            let token = try await server.login(TestCard("specimen-1.8", ec: true))
            let ended = try await server.login(TestCard("german-1.8", ec: true))
            #expect(try await server.send("DELETE", "/v1/session", token: ended).status == 204)
            let sessions = try rows("session", in: server.fixture.database)

            var guesses = (0..<400).map { _ in base64url(SecureRandom.bytes(32)) }
            let characters = Array(token)
            for index in characters.indices {  // one character changed, at every position
                var changed = characters
                changed[index] = changed[index] == "A" ? "B" : "A"
                guesses.append(String(changed))
            }
            guesses += (1..<characters.count).map { String(characters.prefix($0)) }  // every prefix
            guesses += [token + "A", token + "=", String(token.reversed()), token.uppercased(), token.lowercased(), ended,
                        Data(token.utf8).base64EncodedString(), token.replacingOccurrences(of: "-", with: "+"), "", "null", "undefined",
                        String(repeating: "A", count: 43), String(repeating: "_", count: 43)]
            guesses = guesses.filter { $0 != token }
            let paths = ["/v1/session", "/v1/rights", "/v1/profile", "/v1/session/access/eloket", "/v1/keys"]
            for (index, guess) in guesses.enumerated() {
                let reply = try await server.send("GET", paths[index % paths.count], authorization: "Bearer \(guess)")
                attempts.record(accepted: reply.status < 300, "token guess answered \(reply.status)")
                #expect(reply.status == 401, "\(paths[index % paths.count]) answered \(reply.status)")
                #expect(reply.errorCode == "session.sessionInvalid")
            }
            // The live token in the wrong scheme or with extra parts.
            for header in ["Basic \(token)", "Token \(token)", "Bearer  \(token)", "Bearer \(token) \(token)", "\(token)", "Bearer"] {
                let reply = try await server.send("GET", "/v1/session", authorization: header)
                attempts.record(accepted: reply.status < 300, "header '\(header.prefix(7))…' answered \(reply.status)")
                #expect(reply.status == 401)
            }
            // OIDC userinfo with guessed access tokens.
            for _ in 0..<20 {
                let reply = try await server.send("GET", "/oidc/userinfo", token: base64url(SecureRandom.bytes(32)))
                attempts.record(accepted: reply.status < 300, "userinfo answered \(reply.status)")
                #expect(reply.status == 401)
            }
            // The OIDC authorization endpoint with guessed `sleutel_session` cookies.
            for _ in 0..<20 {
                let reply = try await server.send("GET", "/oidc/authorize?response_type=code&client_id=attack-client"
                                                  + "&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb&scope=openid&code_challenge="
                                                  + base64url(SecureRandom.bytes(32)) + "&code_challenge_method=S256",
                                                  cookie: "sleutel_session=\(base64url(SecureRandom.bytes(32)))")
                let query = URLComponents(string: reply.location ?? "")?.queryItems ?? []
                attempts.record(accepted: query.contains { $0.name == "code" }, "authorize with a guessed cookie")
                #expect(reply.status == 200 && reply.location == nil)  // the login page, as without a cookie
            }
            #expect(try rows("session", in: server.fixture.database) == sessions)
            // Control: the live token still works.
            #expect(try await server.send("GET", "/v1/session", token: token).status == 200)

            // With a rate limit of 5/s and a burst of 20 per address, a guessing burst is cut off with 429.
            let limited = try await LoopbackServer(rateLimit: (perSecond: 5, burst: 20))
            let started = Date()
            let statuses = try await withThrowingTaskGroup(of: (Int, String?).self) { group in
                for _ in 0..<200 {
                    group.addTask {
                        let reply = try await limited.send("GET", "/v1/session", token: base64url(SecureRandom.bytes(32)))
                        return (reply.status, reply.errorCode)
                    }
                }
                return try await group.reduce(into: [(Int, String?)]()) { $0.append($1) }
            }
            let elapsed = Date().timeIntervalSince(started)
            for (status, _) in statuses { attempts.record(accepted: status < 300, "rate-limited guess answered \(status)") }
            let unauthorized = statuses.filter { $0.0 == 401 }.count
            let throttled = statuses.filter { $0.0 == 429 && $0.1 == "request.rateLimited" }.count
            print("attack suite: token guessing: \(guesses.count + 46) guesses → 401; a burst of 200 → \(unauthorized) checked, "
                  + "\(throttled) answered 429 in \(String(format: "%.1f", elapsed)) s")
            #expect(unauthorized + throttled == statuses.count)
            #expect(throttled > 0)
            #expect(Double(unauthorized) <= 20 + 5 * elapsed + 1)
        }

        @Test("code brute force over HTTP: a relying service's POST /v1/otp/validate; guessed service keys")
        func validateBruteForce() async throws {
            let attempts = Attempts(.codeBruteForce)
            let serviceKey = base64url(SecureRandom.bytes(32))
            let server = try await LoopbackServer(validateKey: serviceKey)
            let fixture = server.fixture
            let eid = try fixture.login(TestCard("specimen-1.7"))
            let enrolment = try fixture.codes.enrollTOTP(authority: fixture.authority(eid.session), account: "bert")
            let seed = try #require(Base32.decode(enrolment.secret))
            try fixture.codes.confirmTOTP(person: specimenRRN, credentialID: enrolment.credentialID, code: OTP.totp(secret: seed, date: fixture.clock.now))
            fixture.clock.advance(30)
            func validate(_ code: String, key: String = serviceKey) async throws -> LoopbackServer.Reply {
                try await server.send("POST", "/v1/otp/validate", json: ["serial": enrolment.credentialID, "code": code], token: key)
            }
            func wrongCode() -> String {
                var guess = randomCode()
                while (-1...1).contains(where: { OTP.totp(secret: seed, date: fixture.clock.now.addingTimeInterval(Double($0) * 30)) == guess }) {
                    guess = randomCode()
                }
                return guess
            }
            // Guessed service keys never reach the code check.
            var keys = (0..<50).map { _ in base64url(SecureRandom.bytes(32)) }
            let characters = Array(serviceKey)
            keys += [0, 10, 42].map { index in var changed = characters; changed[index] = changed[index] == "A" ? "B" : "A"; return String(changed) }
            keys += [String(characters.dropLast()), serviceKey + "A", serviceKey.uppercased()]
            for key in keys where key != serviceKey {
                let reply = try await validate(OTP.totp(secret: seed, date: fixture.clock.now), key: key)
                AttackLedger.shared.record(.tokenGuessing, accepted: reply.status < 300)
                #expect(reply.status == 401)
                #expect(reply.errorCode == "otp.serviceKeyInvalid")
            }
            // Five wrong codes lock the key; the right code is then refused.
            for _ in 0..<5 { #expect(try await validate(wrongCode()).json["accepted"] as? Bool == false) }
            let whileLocked = try await validate(OTP.totp(secret: seed, date: fixture.clock.now))
            attempts.record(accepted: whileLocked.json["accepted"] as? Bool != false, "the right code while locked")
            #expect(whileLocked.status == 200 && whileLocked.json["accepted"] as? Bool == false)

            // An hour of random guesses, one every 12 s.
            fixture.clock.advance(1)
            let start = fixture.clock.now
            var hits = 0
            for _ in 0..<300 {
                fixture.clock.advance(12)
                let reply = try await validate(randomCode())
                #expect(reply.status == 200)
                let accepted = reply.json["accepted"] as? Bool == true
                if accepted { hits += 1 }
                attempts.guess(accepted: accepted)
            }
            let evaluated = try fixture.database.read { db in
                try db.value("SELECT COUNT(*) FROM otp_audit WHERE credential_id = ? AND event = 'rejected' AND at >= ?",
                             [enrolment.credentialID, start.timeIntervalSince1970], as: Int.self)
            } ?? 0
            let configuration = OneTimeCodesConfiguration.fastForTests
            let allowed = lockoutBound(seconds: fixture.clock.now.timeIntervalSince(start), configuration: configuration)
            let chance = chanceBound(guesses: evaluated + hits, p: Double(2 * configuration.totpWindow + 1) / 1e6)
            print("attack suite: TOTP brute force over POST /v1/otp/validate: 300 guesses in 3600 s, \(evaluated + hits) checked "
                  + "(lockout allows \(allowed)), \(hits) accepted (chance bound \(chance)); \(keys.count) service keys guessed → 401")
            if hits == 0 { #expect(evaluated <= allowed) }
            #expect(hits <= chance)
        }

        @Test("escalation across organisations over HTTP: choosing Y, an OIDC login hint for Y, switching after choosing X")
        func crossOrganisation() async throws {
            let attempts = Attempts(.crossOrganisation)
            let server = try await LoopbackServer()
            let rights = server.fixture.rights
            let x = try KBONumber("0441.928.931"), y = try KBONumber("0566.988.259")
            try rights.registerOrganisation(x, name: "FN HERSTAL")
            try rights.registerOrganisation(y, name: "UW BEDRIJF")
            try rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket", legalRepresentativeHasAccess: true,
                                                                 baseRight: "ondernemer"))
            try rights.defineRight(RightDefinition(application: "eloket", code: "ondernemer", label: "e-loket"))
            // The card holder (82020200126) represents X only; someone else represents Y.
            try rights.recordLegalRepresentative(person: INSZ("82020200126", origin: .certificate), organisation: x,
                                                 validFrom: LocalDate(year: 2010, month: 1, day: 1)!, validUntil: nil)
            try rights.recordLegalRepresentative(person: rrn(720404004), organisation: y, validFrom: LocalDate(year: 2010, month: 1, day: 1)!,
                                                 validUntil: nil)
            let token = try await server.login(TestCard("specimen-1.8", ec: true))
            let stranger = try await server.login(TestCard("german-1.8", ec: true))

            func choose(_ organisation: String?, _ token: String) async throws -> LoopbackServer.Reply {
                var body: [String: Any] = ["application": "eloket"]
                if let organisation { body["organisation"] = organisation }
                return try await server.send("POST", "/v1/session/organisation", json: body, token: token)
            }
            func refused(_ reply: LoopbackServer.Reply, _ what: String) {
                attempts.record(accepted: reply.status < 300 || reply.json["decision"] as? String == "allowed", "\(what): \(reply.status)")
                #expect(reply.status == 403, "\(what)")
                #expect(reply.json["decision"] as? String == "refused", "\(what)")
                #expect(reply.json["message"] as? String == RightsError.refusalText, "\(what)")
            }
            for form in ["0566988259", "0566.988.259", "BE 0566.988.259", "566988259"] {
                refused(try await choose(form, token), "X's representative chooses Y as \(form)")
            }
            refused(try await choose("0566988259", stranger), "a stranger chooses Y")
            refused(try await choose("0441928931", stranger), "a stranger chooses X")
            refused(try await choose(nil, stranger), "a stranger without a hint")
            #expect((try await server.send("GET", "/v1/session", token: token)).json["organisation"] as? String == nil)
            let strangerRights = try await server.send("GET", "/v1/rights", token: stranger)
            #expect((strangerRights.json["organisations"] as? [Any])?.isEmpty == true)

            // OIDC: an authorization request with login_hint=Y.
            for (hint, who) in [("0566988259", token), ("0441928931", stranger)] {
                let (reply, query) = try await server.authorize(token: who, extra: "&login_hint=\(hint)")
                attempts.record(accepted: query["code"] != nil, "OIDC login_hint \(hint) gave a code")
                // The refusal page with the seeds' text (its link returns to the client with access_denied).
                #expect(reply.status == 403 && reply.location == nil)
                #expect(String(decoding: reply.body, as: UTF8.self).contains("error=access_denied"))
            }

            // Control: X is allowed, and the session then carries X; switching to Y is refused and X stays.
            let allowed = try await choose("0441928931", token)
            #expect(allowed.status == 200 && allowed.json["decision"] as? String == "allowed")
            refused(try await choose("0566988259", token), "switch from X to Y")
            #expect((try await server.send("GET", "/v1/session", token: token)).json["organisation"] as? String == "0441928931")
        }

        @Test("a right after its end date over HTTP: organisation choice and OIDC refused with the seeds' text; the last token dies with its lifetime")
        func rightAfterEndDate() async throws {
            let attempts = Attempts(.rightAfterEndDate)
            let server = try await LoopbackServer()
            let rights = server.fixture.rights
            let x = try KBONumber("0441.928.931")
            let wv = rrn(850730033)
            let holder = try INSZ("82020200126", origin: .certificate)
            try rights.registerOrganisation(x, name: "FN HERSTAL")
            try rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket"))
            try rights.defineRight(RightDefinition(application: "eloket", code: "gebruiker", label: "e-loket gebruiker"))
            try rights.recordLegalRepresentative(person: wv, organisation: x, validFrom: LocalDate(year: 2010, month: 1, day: 1)!, validUntil: nil)
            let today = LocalDate(server.fixture.clock.now)
            try rights.createWorkRelation(WorkRelationInput(person: holder, organisation: x, category: .permanentEmployee, phone: "+3212345678",
                                                            email: "medewerker@example.be", validFrom: today.adding(days: -30),
                                                            validUntil: today.adding(days: 365)),
                                          by: Actor(person: wv, sessionLevel: 500))
            _ = try rights.grant(GrantInput(person: holder, organisation: x, application: "eloket", right: "gebruiker", validFrom: today.adding(days: -30),
                                            validUntil: today), by: Actor(person: wv, sessionLevel: 500))
            let body: [String: Any] = ["application": "eloket", "organisation": "0441928931"]

            // Control: five minutes before midnight (Brussels) on the end date the right holds, and OIDC hands out a token with it.
            let midnight = today.adding(days: 1).startInstant
            server.fixture.clock.now = midnight.addingTimeInterval(-300)
            let late = try await server.login(TestCard("specimen-1.8", ec: true))
            let onTheDay = try await server.send("POST", "/v1/session/organisation", json: body, token: late)
            #expect(onTheDay.status == 200 && onTheDay.json["decision"] as? String == "allowed")
            let granted = try await server.authorize(token: late, extra: "&login_hint=0441928931")
            let exchanged = try await server.exchange(code: try #require(granted.query["code"]))
            let accessToken = try #require(exchanged.json["access_token"] as? String)
            #expect(try await server.send("GET", "/oidc/userinfo", token: accessToken).status == 200)

            // Ten minutes later it is the next day: the same session is refused, and the access token
            // (a snapshot of the right) has run out with its lifetime.
            server.fixture.clock.advance(600)
            let next = try await server.send("POST", "/v1/session/organisation", json: body, token: late)
            attempts.record(accepted: next.status < 300, "same session after midnight: \(next.status)")
            #expect(next.status == 403 && next.json["message"] as? String == RightsError.refusalText)
            let again = try await server.authorize(token: late, extra: "&login_hint=0441928931")
            attempts.record(accepted: again.query["code"] != nil, "OIDC after midnight gave a code")
            #expect(again.reply.status == 403 && again.reply.location == nil)  // the refusal page
            let stale = try await server.send("GET", "/oidc/userinfo", token: accessToken)
            attempts.record(accepted: stale.status < 300, "userinfo with the pre-midnight token: \(stale.status)")
            #expect(stale.status == 401)

            for days in [1, 2, 30] {
                server.fixture.clock.now = today.adding(days: days).startInstant.addingTimeInterval(3600)
                let token = try await server.login(TestCard("specimen-1.8", ec: true))
                for request in [body, ["application": "eloket"]] {
                    let reply = try await server.send("POST", "/v1/session/organisation", json: request, token: token)
                    attempts.record(accepted: reply.status < 300, "\(days) day(s) after the end date: \(reply.status)")
                    #expect(reply.status == 403)
                    #expect(reply.json["message"] as? String == RightsError.refusalText)
                }
                let held = try await server.send("GET", "/v1/rights", token: token)
                let organisations = held.json["organisations"] as? [[String: Any]] ?? []
                #expect(organisations.allSatisfy { ($0["rights"] as? [Any])?.isEmpty ?? true }, "\(String(decoding: held.body, as: UTF8.self))")
            }
        }
    }
}
