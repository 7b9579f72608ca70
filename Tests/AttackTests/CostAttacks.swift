import CryptoCore
import Foundation
import OneTimeCodes
import Server
import Sessions
import SleutelTestSupport
import Testing

extension AttackSuite {
    /// Issue 19 item 4 (first part): `POST /v1/keys/check` needs no login, so its cost is bounded by
    /// a budget in RSA-2048 units per request and per address a minute; the service key is exempt.
    @Suite("Costly key checks")
    struct CostAttacks {
        static let serviceKey = "key-check service key for the cost test"

        /// An `ssh-rsa` line for a random odd modulus of `bits` bits (the cost is priced from the size
        /// before any check runs).
        static func sshRSA(bits: Int) throws -> String {
            func string(_ bytes: [UInt8]) -> [UInt8] { withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes }
            func mpint(_ n: BigNum) -> [UInt8] { string([0] + n.bigEndianBytes) }
            let blob = string(Array("ssh-rsa".utf8)) + mpint(BigNum(65537)) + mpint(try BigNum.random(bits: bits, odd: true))
            return "ssh-rsa " + Data(blob).base64EncodedString()
        }

        @Test("sixteen RSA-16384 keys are refused before any check; the per-address budget holds; others and the service key are served")
        func budgets() async throws {
            let attempts = Attempts(.costlyKeyChecks)
            let server = try await LoopbackServer(validateKey: Self.serviceKey, proxies: ProxyAttacks.loopbackProxy)
            let heavy = try (0..<16).map { _ in try Self.sshRSA(bits: 16384) }.joined(separator: "\n")
            let started = Date()
            let refused = try await server.send("POST", "/v1/keys/check", json: ["pem": heavy], headers: ProxyAttacks.via(ProxyAttacks.attacker))
            attempts.record(accepted: refused.status == 200, "16 RSA-16384 keys checked without the service key")
            #expect(refused.status == 413)
            #expect(refused.errorCode == "keys.costExceeded")
            #expect(Date().timeIntervalSince(started) < 2, "priced, not checked")

            // One RSA-8192 key is 64 units: four fit the 256 a minute, the fifth waits.
            let one = try Self.sshRSA(bits: 8192)
            for _ in 0..<4 {
                #expect(try await server.send("POST", "/v1/keys/check", json: ["pem": one], headers: ProxyAttacks.via(ProxyAttacks.attacker)).status == 200)
            }
            let over = try await server.send("POST", "/v1/keys/check", json: ["pem": one], headers: ProxyAttacks.via(ProxyAttacks.attacker))
            attempts.record(accepted: over.status == 200, "key checks past the address's budget")
            #expect(over.status == 429)
            #expect(over.errorCode == "keys.budgetExceeded")
            #expect(over.headers["retry-after"].flatMap { Int($0) }.map { $0 >= 1 } == true)

            // Another address has its own budget; the service key has none.
            #expect(try await server.send("POST", "/v1/keys/check", json: ["pem": one], headers: ProxyAttacks.via(ProxyAttacks.victim)).status == 200)
            var service = ProxyAttacks.via(ProxyAttacks.attacker)
            service["Authorization"] = "Bearer \(Self.serviceKey)"
            let exempt = try await server.send("POST", "/v1/keys/check", json: ["pem": try Self.sshRSA(bits: 16384)], headers: service)
            #expect(exempt.status == 200)
            // A wrong service key is no exemption.
            service["Authorization"] = "Bearer not the key"
            #expect(try await server.send("POST", "/v1/keys/check", json: ["pem": one], headers: service).status == 429)
        }

        static var bertLogin: [String: Any] { ["application": "eloket", "username": "bert", "password": CodeVictim.password] }

        /// Issue 19 item 4 (second part): each password check is an scrypt of 32 MiB and ~100 ms of
        /// CPU. A flood of correct-password logins from many addresses (no per-address limit helps)
        /// gets at most the permits and the short backlog; the rest is answered 503 at once, and the
        /// owner gets in once the flood is over.
        @Test("32 concurrent password logins: a few are checked, the rest answered 503 at once; the owner gets in after")
        func passwordFlood() async throws {
            let attempts = Attempts(.passwordFlood)
            // The real scrypt cost (2^15, r = 8: 32 MiB), two checks at once and two waiting.
            let server = try await LoopbackServer(proxies: ProxyAttacks.loopbackProxy, codes: OneTimeCodesConfiguration(),
                                                  passwordChecks: (threads: 2, backlog: 2))
            let eid = try server.fixture.login(TestCard("specimen-1.7"))
            try server.fixture.codes.setPassword(username: "bert", password: CodeVictim.password, authority: server.fixture.authority(eid.session))

            let flood = 32
            let replies = try await withThrowingTaskGroup(of: (LoopbackServer.Reply, TimeInterval).self) { group in
                for guess in 0..<flood {
                    group.addTask {
                        let started = Date()
                        let reply = try await server.send("POST", "/v1/code/login", json: Self.bertLogin, headers: ProxyAttacks.via(CodeVictim.source(guess)),
                                                     through: LoopbackHTTP.flooding)
                        return (reply, Date().timeIntervalSince(started))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            let refused = replies.filter { $0.0.status == 503 }
            let checked = replies.filter { $0.0.status == 201 }
            // The flood succeeds when the checks it got past the bound outnumber its refusals.
            for _ in refused { attempts.record(accepted: false) }
            attempts.record(accepted: refused.count < flood / 2, "\(checked.count) of \(flood) concurrent password logins checked")
            #expect(checked.count + refused.count == flood, "every login is either checked (201) or refused (503)")
            for (reply, _) in refused {
                #expect(reply.errorCode == "request.busy")
                #expect(reply.headers["retry-after"] == "1")
            }
            let fast = refused.map(\.1).sorted()
            #expect((fast.first ?? 9) < 0.5, "the refusals come at once, not after the queue")
            // Nothing was counted against the account: after the flood the owner gets in.
            let after = try await server.send("POST", "/v1/code/login", json: Self.bertLogin, headers: ProxyAttacks.via(ProxyAttacks.victim))
            #expect(after.status == 201)
        }
    }
}
