import CryptoCore
import Foundation
import Server
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
    }
}
