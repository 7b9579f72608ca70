import CryptoCore
import Foundation
import OneTimeCodes
import Server
import Sessions
import SleutelTestSupport
import Storage
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

@Suite("Security-code login and key management over HTTP")
struct CodeRoutesTests {
    let password = "correct horse battery staple"

    /// eID login, password and a confirmed TOTP key over HTTP; returns the eID token and the seed.
    func enrol(_ server: ServerHarness, card: TestCard? = nil) async throws -> (token: String, seed: [UInt8]) {
        let token = try await server.login(card ?? TestCard("specimen-1.7"))
        let set = try await server.send("PUT", "/v1/keys/password", json: ["username": "bert", "password": password], token: token)
        #expect(set.status == 204, "\(String(decoding: set.body, as: UTF8.self))")
        let enrol = try await server.send("POST", "/v1/keys/totp", json: ["account": "bert"], token: token)
        #expect(enrol.status == 201, "\(String(decoding: enrol.body, as: UTF8.self))")
        let secret = try #require(enrol.json["secret"] as? String)
        let seed = try #require(Base32.decode(secret))
        #expect((enrol.json["uri"] as? String)?.hasPrefix("otpauth://totp/") == true)
        let credential = try #require(enrol.json["credentialId"] as? String)
        let confirm = try await server.send("POST", "/v1/keys/totp/confirm", json: [
            "credentialId": credential,
            "code": TestSecrets.totp(secret: seed, date: server.fixture.clock.now),
        ], token: token)
        #expect(confirm.status == 204, "\(String(decoding: confirm.body, as: UTF8.self))")
        server.fixture.clock.advance(30)
        return (token, seed)
    }

    @Test("password + TOTP over HTTP opens a Level400 session; the keys list shows both keys")
    func totpLogin() async throws {
        let server = try await ServerHarness()
        let (eid, seed) = try await enrol(server)
        let keys = try await server.send("GET", "/v1/keys", token: eid)
        let list = try #require(keys.json["keys"] as? [[String: Any]])
        #expect(Set(list.compactMap { $0["kind"] as? String }) == ["password", "totp"])
        #expect(list.allSatisfy { $0["state"] as? String == "active" && $0["enrolledAtLevel"] as? Int == 500 })

        let start = try await server.send("POST", "/v1/code/login", json: ["application": "eloket", "username": "bert", "password": password])
        #expect(start.status == 201)
        let factors = try #require(start.json["factors"] as? [[String: Any]])
        #expect(factors.compactMap { $0["factor"] as? String } == ["totp", "password"])
        let transaction = try #require(start.json["transactionId"] as? String)
        let done = try await server.send("POST", "/v1/code/login/complete", json: [
            "transactionId": transaction, "factor": "totp", "code": TestSecrets.totp(secret: seed, date: server.fixture.clock.now),
        ])
        #expect(done.status == 201, "\(String(decoding: done.body, as: UTF8.self))")
        let session = try #require(done.json["session"] as? [String: Any])
        #expect(session["level"] as? Int == 400)
        #expect(session["method"] as? String == "totpApp")
        let token = try #require(done.json["token"] as? String)
        #expect(try await server.send("GET", "/v1/session/access/eloket", token: token).status == 200)
        // The code session cannot enrol keys: activation needs a fresh eID session (§10.4).
        let refused = try await server.send("POST", "/v1/keys/totp", json: [:], token: token)
        #expect(refused.status == 403)
        #expect(refused.errorCode == "otp.activationNotAllowed")
    }

    @Test("wrong password, bad factor, wrong code and a replayed transaction get their stable codes")
    func refusals() async throws {
        let server = try await ServerHarness()
        let (_, seed) = try await enrol(server)
        let wrong = try await server.send("POST", "/v1/code/login", json: ["application": "eloket", "username": "bert", "password": "wrong password here"])
        #expect(wrong.status == 401)
        #expect(wrong.errorCode == "session.credentialsRejected")
        #expect(!String(decoding: wrong.body, as: UTF8.self).contains("wrong password here"))
        let start = try await server.send("POST", "/v1/code/login", json: ["application": "eloket", "username": "bert", "password": password])
        let transaction = try #require(start.json["transactionId"] as? String)
        let badFactor = try await server.send("POST", "/v1/code/login/complete", json: ["transactionId": transaction, "factor": "fax", "code": "1"])
        #expect(badFactor.status == 400)
        let code = TestSecrets.totp(secret: seed, date: server.fixture.clock.now)
        let badCode = try await server.send("POST", "/v1/code/login/complete", json: [
            "transactionId": transaction, "factor": "totp", "code": code == "000000" ? "999999" : "000000",
        ])
        #expect(badCode.status == 401)
        #expect(badCode.errorCode == "session.credentialsRejected")
        let good = try await server.send("POST", "/v1/code/login/complete", json: ["transactionId": transaction, "factor": "totp", "code": code])
        #expect(good.status == 201)
        let replay = try await server.send("POST", "/v1/code/login/complete", json: ["transactionId": transaction, "factor": "totp", "code": code])
        #expect(replay.status == 401)
        #expect(replay.errorCode == "session.challengeInvalid")
        let noSender = try await server.send("POST", "/v1/code/login/send", json: ["transactionId": transaction, "factor": "totp"])
        #expect(noSender.status == 400)
        let wrongMethod = try await server.send("GET", "/v1/code/login")
        #expect(wrongMethod.status == 405)
        #expect(wrongMethod.headers["allow"] == "POST")
    }

    @Test("SMS key: enrolment confirmed by the sent code, then login by SMS code; the reply masks the number")
    func smsLogin() async throws {
        let sender = RecordingCodeSender()
        let server = try await ServerHarness(codeSenders: [.sms: sender])
        let eid = try await server.login(TestCard("specimen-1.7"))
        #expect(try await server.send("PUT", "/v1/keys/password", json: ["username": "bert", "password": password], token: eid).status == 204)
        let add = try await server.send("POST", "/v1/keys/destination", json: ["channel": "sms", "destination": "+32470123456"], token: eid)
        #expect(add.status == 202, "\(String(decoding: add.body, as: UTF8.self))")
        #expect(!String(decoding: add.body, as: UTF8.self).contains("470123456"))
        let challenge = try #require(add.json["challengeId"] as? String)
        let sentCode = try #require(sender.messages.last).code
        let confirm = try await server.send("POST", "/v1/keys/destination/confirm", json: ["challengeId": challenge, "code": sentCode], token: eid)
        #expect(confirm.status == 204)
        let start = try await server.send("POST", "/v1/code/login", json: ["application": "eloket", "username": "bert", "password": password])
        let transaction = try #require(start.json["transactionId"] as? String)
        let sent = try await server.send("POST", "/v1/code/login/send", json: ["transactionId": transaction, "factor": "sms"])
        #expect(sent.status == 202)
        #expect(sent.json["challengeId"] == nil, "a login keeps the challenge on the transaction")
        let code = try #require(sender.messages.last).code
        #expect(sender.messages.last?.destination == "+32470123456")
        let done = try await server.send("POST", "/v1/code/login/complete", json: ["transactionId": transaction, "factor": "sms", "code": code])
        #expect(done.status == 201)
        #expect((done.json["session"] as? [String: Any])?["method"] as? String == "smsCode")
        let bad = try await server.send("POST", "/v1/keys/destination", json: ["channel": "sms", "destination": "0470"], token: eid)
        #expect(bad.status == 400)
        #expect(bad.errorCode == "otp.invalidInput")
    }

    @Test("a disabled key no longer logs in; deleting needs the owner's fresh eID session")
    func disable() async throws {
        let server = try await ServerHarness()
        let (eid, seed) = try await enrol(server)
        let keys = try await server.send("GET", "/v1/keys", token: eid)
        let list = try #require(keys.json["keys"] as? [[String: Any]])
        let totp = try #require(list.first { $0["kind"] as? String == "totp" }?["id"] as? String)
        #expect(try await server.send("DELETE", "/v1/keys/\(totp)").status == 401)
        #expect(try await server.send("DELETE", "/v1/keys/\(totp)", token: eid).status == 204)
        #expect(try await server.send("DELETE", "/v1/keys/\(totp)", token: eid).status == 404)
        let start = try await server.send("POST", "/v1/code/login", json: ["application": "eloket", "username": "bert", "password": password])
        #expect((start.json["factors"] as? [[String: Any]])?.compactMap { $0["factor"] as? String } == ["password"])
        let transaction = try #require(start.json["transactionId"] as? String)
        let done = try await server.send("POST", "/v1/code/login/complete", json: [
            "transactionId": transaction, "factor": "totp", "code": TestSecrets.totp(secret: seed, date: server.fixture.clock.now),
        ])
        #expect(done.status == 401)
    }

    @Test("service validation: needs the service key, accepts a current code once")
    func validate() async throws {
        let key = "validate-key-" + String(repeating: "x", count: 32)
        var configuration = ServerHarness.defaultConfiguration
        configuration.validateKeySHA256 = DigestAlgorithm.sha256.hash(Array(key.utf8))
        let server = try await ServerHarness(configuration: configuration)
        let (_, seed) = try await enrol(server)
        let code = TestSecrets.totp(secret: seed, date: server.fixture.clock.now)
        #expect(try await server.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": code]).status == 401)
        #expect(try await server.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": code], token: key + "y").status == 401)
        let ok = try await server.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": code], token: key)
        #expect(ok.status == 200)
        #expect(ok.json["accepted"] as? Bool == true)
        let replay = try await server.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": code], token: key)
        #expect(replay.json["accepted"] as? Bool == false)
        let unknown = try await server.send("POST", "/v1/otp/validate", json: ["username": "nobody", "code": code], token: key)
        #expect(unknown.json["accepted"] as? Bool == false)

        // By serial, as privacyIDEA's /validate/check: an imported token.
        let imported = Array("12345678901234567890".utf8)
        try server.fixture.codes.importTOTP([ImportedTOTP(person: "p-import", serial: "PI0001", seed: imported)])
        let byImportedSerial = TestSecrets.totp(secret: imported, date: server.fixture.clock.now)
        let serialOK = try await server.send("POST", "/v1/otp/validate", json: ["serial": "PI0001", "code": byImportedSerial], token: key)
        #expect(serialOK.json["accepted"] as? Bool == true)
        let both = try await server.send("POST", "/v1/otp/validate", json: ["serial": "PI0001", "username": "bert", "code": code], token: key)
        #expect(both.status == 400)

        // The relying service may name the user's address: the rate limits then count per user.
        let viaClient = try await server.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": "000000", "client": "203.0.113.7"], token: key)
        #expect(viaClient.json["accepted"] as? Bool == false)
        let sources = try server.fixture.database.read { db in
            try db.values("SELECT source FROM otp_audit WHERE event = 'rejected' ORDER BY rowid DESC LIMIT 1", as: String.self)
        }
        #expect(sources == ["203.0.113.7"])
        for bad in ["203.0.113", "localhost", "2001:db8::1::2", String(repeating: "1", count: 60)] {
            #expect(try await server.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": code, "client": bad], token: key).status == 400)
        }
        #expect(
            try await server.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": "000000", "client": "2001:db8::7"], token: key).status == 200
        )

        let disabled = try await ServerHarness()
        #expect(try await disabled.send("POST", "/v1/otp/validate", json: ["username": "bert", "code": code], token: key).status == 404)
    }
}
