import Foundation
import OneTimeCodes
import Rights
import Sessions
import SleutelTestSupport
import Testing

extension AttackSuite {
    /// Issue 19 items 5 and 8: each application's policy holds on every path, and a session does not
    /// keep an organisation after the right behind it ended.
    @Suite("Application policy and the organisation of a session")
    struct PolicyAttacks {
        static let password = "correct horse battery staple"

        /// A password-only session (level 200) of the specimen card's person on `server`.
        static func passwordSession(_ server: LoopbackServer) async throws -> String {
            let eid = try await server.login(TestCard("specimen-1.8", ec: true))
            #expect(try await server.send("PUT", "/v1/keys/password", json: ["username": "bert", "password": password], token: eid).status == 204)
            let begin = try await server.send("POST", "/v1/code/login", json: ["application": "portaal", "username": "bert", "password": password])
            let transaction = try #require(begin.json["transactionId"] as? String)
            let complete = try await server.send("POST", "/v1/code/login/complete", json: ["transactionId": transaction, "factor": "password"])
            #expect((complete.json["session"] as? [String: Any])?["level"] as? Int == 200)
            return try #require(complete.json["token"] as? String)
        }

        @Test("an application's stored minimum level holds on the access check and OIDC, not a fixed default")
        func storedMinimumLevel() async throws {
            let attempts = Attempts(.applicationPolicy)
            let server = try await LoopbackServer()
            let rights = server.fixture.rights
            try rights.registerApplication(ApplicationDefinition(id: "portaal", name: "Portaal", minimumAssurance: 200))
            try rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket", minimumAssurance: 500))
            let password = try await Self.passwordSession(server)

            // Minimum 200: a password session is accepted.
            let portaal = try await server.send("GET", "/v1/session/access/portaal", token: password)
            #expect(portaal.status == 200, "an application with minimum 200 accepts a password session: \(portaal.status)")
            // Minimum 500 (eloket, the OIDC clients' application): a password session is refused on every path…
            let access = try await server.send("GET", "/v1/session/access/eloket", token: password)
            attempts.record(accepted: access.status < 300, "access check of a level-500 application with a password session")
            #expect(access.status == 403 && access.errorCode == "session.stepUpRequired")
            let oidc = try await server.authorize(token: password, client: "plain-client")
            attempts.record(accepted: oidc.query["code"] != nil, "OIDC code for a level-500 application with a password session")
            #expect(oidc.reply.status == 200 && String(decoding: oidc.reply.body, as: UTF8.self).contains("stronger key"))  // the step-up login page
            // …and so is a TOTP-level (400) session, which the fixed default 400 let through.
            let totpLevel = try await Self.totpSession(server, level: 400)
            let access400 = try await server.send("GET", "/v1/session/access/eloket", token: totpLevel)
            attempts.record(accepted: access400.status < 300, "access check of a level-500 application with a level-400 session")
            #expect(access400.status == 403)
            let oidc400 = try await server.authorize(token: totpLevel, client: "plain-client")
            attempts.record(accepted: oidc400.query["code"] != nil, "OIDC code for a level-500 application with a level-400 session")
            #expect(oidc400.reply.status == 200 && String(decoding: oidc400.reply.body, as: UTF8.self).contains("stronger key"))
            // Control: the card session passes both.
            let card = try await server.login(TestCard("specimen-1.8", ec: true))
            #expect(try await server.send("GET", "/v1/session/access/eloket", token: card).status == 200)
            #expect(try await server.authorize(token: card, client: "plain-client").query["code"] != nil)
        }

        @Test("an application that accepts only eID refuses a TOTP session on the access check, OIDC and the organisation choice")
        func acceptedKeys() async throws {
            let attempts = Attempts(.applicationPolicy)
            let server = try await LoopbackServer()
            let rights = server.fixture.rights
            let x = try KBONumber("0441.928.931")
            try rights.registerOrganisation(x, name: "FN HERSTAL")
            // eloket (the OIDC clients' application) accepts only the card, at the substantial level.
            try rights.registerApplication(ApplicationDefinition(id: "eloket", name: "e-loket", minimumAssurance: 400, acceptedKeys: ["eid"],
                                                                 legalRepresentativeHasAccess: true, baseRight: "ondernemer"))
            try rights.defineRight(RightDefinition(application: "eloket", code: "ondernemer", label: "e-loket"))
            try rights.recordLegalRepresentative(person: INSZ("82020200126", origin: .certificate), organisation: x,
                                                 validFrom: LocalDate(year: 2010, month: 1, day: 1)!, validUntil: nil)
            let totp = try await Self.totpSession(server, level: 400)
            let access = try await server.send("GET", "/v1/session/access/eloket", token: totp)
            attempts.record(accepted: access.status < 300, "access check of an eID-only application with a TOTP session")
            #expect(access.status == 403 && access.errorCode == "session.methodNotAccepted", "\(access.errorCode ?? "-")")
            for client in ["plain-client", "attack-client"] {
                let oidc = try await server.authorize(token: totp, client: client)
                attempts.record(accepted: oidc.query["code"] != nil, "OIDC code (\(client)) for an eID-only application with a TOTP session")
                #expect(oidc.reply.status == 200 && String(decoding: oidc.reply.body, as: UTF8.self).contains("stronger key"))  // the step-up login page
            }
            let choose = try await server.send("POST", "/v1/session/organisation", json: ["application": "eloket", "organisation": "0441928931"], token: totp)
            attempts.record(accepted: choose.status < 300, "organisation choice in an eID-only application with a TOTP session")
            #expect(choose.status == 403 && choose.errorCode == "session.methodNotAccepted")
            // Control: the card session of the same person passes all three.
            let card = try await server.login(TestCard("specimen-1.8", ec: true))
            #expect(try await server.send("GET", "/v1/session/access/eloket", token: card).status == 200)
            #expect(try await server.authorize(token: card, client: "attack-client").query["code"] != nil)
            #expect(
                try await server.send("POST", "/v1/session/organisation", json: ["application": "eloket"], token: card)
                    .json["decision"] as? String == "allowed"
            )
        }

        /// A TOTP session (level 400) of the specimen card's person.
        static func totpSession(_ server: LoopbackServer, level: Int) async throws -> String {
            let eid = try await server.login(TestCard("specimen-1.8", ec: true))
            #expect(try await server.send("PUT", "/v1/keys/password", json: ["username": "bert", "password": password], token: eid).status == 204)
            let enrol = try await server.send("POST", "/v1/keys/totp", json: ["account": "bert"], token: eid)
            let secret = try #require(enrol.json["secret"] as? String)
            let credential = try #require(enrol.json["credentialId"] as? String)
            let seed = try #require(Base32.decode(secret))
            let clock = server.fixture.clock
            #expect(try await server.send("POST", "/v1/keys/totp/confirm", json: ["credentialId": credential, "code": OTP.totp(secret: seed, date: clock.now)],
                                          token: eid).status == 204)
            clock.advance(30)
            let begin = try await server.send("POST", "/v1/code/login", json: ["application": "portaal", "username": "bert", "password": password])
            let transaction = try #require(begin.json["transactionId"] as? String)
            let complete = try await server.send("POST", "/v1/code/login/complete",
                                                 json: ["transactionId": transaction, "factor": "totp", "code": OTP.totp(secret: seed, date: clock.now)])
            #expect((complete.json["session"] as? [String: Any])?["level"] as? Int == level)
            return try #require(complete.json["token"] as? String)
        }

        @Test("no stale organisation: once the right behind it ends, the session no longer reports or uses the organisation")
        func staleOrganisation() async throws {
            let attempts = Attempts(.staleOrganisation)
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
            let grant = try rights.grant(GrantInput(person: holder, organisation: x, application: "eloket", right: "gebruiker",
                                                    validFrom: today.adding(days: -30), validUntil: today), by: Actor(person: wv, sessionLevel: 500))
            server.fixture.clock.now = today.adding(days: 1).startInstant.addingTimeInterval(-300)
            let token = try await server.login(TestCard("specimen-1.8", ec: true))
            let chosen = try await server.send("POST", "/v1/session/organisation", json: ["application": "eloket", "organisation": "0441928931"], token: token)
            #expect(chosen.json["decision"] as? String == "allowed")
            #expect(try await server.send("GET", "/v1/session", token: token).json["organisation"] as? String == "0441928931")

            // Midnight passes: the right has ended; the session must not go on showing the organisation.
            server.fixture.clock.advance(600)
            for path in ["/v1/session", "/v1/session/access/eloket"] {
                let reply = try await server.send("GET", path, token: token)
                attempts.record(accepted: reply.json["organisation"] as? String != nil, "\(path) after the right ended still names the organisation")
                #expect(reply.status == 200 && reply.json["organisation"] as? String == nil, "\(path)")
            }

            // A right revoked during the day ends the organisation at once too.
            let second = try rights.grant(GrantInput(person: holder, organisation: x, application: "eloket", right: "gebruiker",
                                                     validFrom: today.adding(days: 1), validUntil: today.adding(days: 30)),
                                          by: Actor(person: wv, sessionLevel: 500))
            let again = try await server.send("POST", "/v1/session/organisation", json: ["application": "eloket", "organisation": "0441928931"], token: token)
            #expect(again.json["decision"] as? String == "allowed")
            try rights.revokeGrant(second.grantID, reason: "test", by: Actor(person: wv, sessionLevel: 500))
            let revoked = try await server.send("GET", "/v1/session", token: token)
            attempts.record(accepted: revoked.json["organisation"] as? String != nil, "the session names the organisation after the revocation")
            #expect(revoked.json["organisation"] as? String == nil)
            _ = grant
        }
    }
}
