import BelgianEID
import CryptoCore
import Foundation
import PCSC
import Testing
import VirtualCard

/// One forged card and the integrity checks that must catch it.
struct TamperCase: Sendable, CustomTestStringConvertible {
    let profile: String
    /// `sleutel virtual-card run --tamper` value; nil for the untouched card (the control).
    let tamper: String?
    /// Exactly the checks that must fail (empty: the card is genuine).
    let failing: Set<String>

    var testDescription: String { "\(profile) \(tamper ?? "untouched")" }
}

/// Integrity failures through the real pcscd + vpcd: each forgery of `CardTamper` makes
/// `sleutel card read` exit 3 naming exactly the failed checks, and makes the kiosk (the path
/// that reads card data next to the server: `serve` itself only receives the authentication
/// certificate and signature) refuse the card before showing anything or logging in.
@Suite("Integrity failures through the real pcscd", .serialized, .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct IntegrityTamperTests {
    static let cases: [TamperCase] = [
        TamperCase(profile: "specimen-1.8", tamper: nil, failing: []),
        TamperCase(profile: "specimen-1.7", tamper: nil, failing: []),
        TamperCase(profile: "specimen-1.8", tamper: "identity", failing: ["identitySignature"]),
        TamperCase(profile: "specimen-1.7", tamper: "identity", failing: ["identitySignature"]),
        TamperCase(profile: "specimen-1.8", tamper: "address", failing: ["addressSignature"]),
        TamperCase(profile: "specimen-1.7", tamper: "address", failing: ["addressSignature"]),
        TamperCase(profile: "specimen-1.8", tamper: "address-unpadded", failing: ["addressSignature"]),
        TamperCase(profile: "specimen-1.7", tamper: "address-unpadded", failing: ["addressSignature"]),
        TamperCase(profile: "specimen-1.8", tamper: "photo", failing: ["photoHash"]),
        TamperCase(profile: "specimen-1.7", tamper: "photo", failing: ["photoHash"]),
        TamperCase(profile: "specimen-1.8", tamper: "identity-other-rrn", failing: ["identitySignature", "addressSignature"]),
        TamperCase(profile: "specimen-1.7", tamper: "identity-other-rrn", failing: ["identitySignature", "addressSignature"]),
        TamperCase(profile: "specimen-1.8", tamper: "rrn-other-root", failing: ["rrnCertificate"]),
        TamperCase(profile: "specimen-1.7", tamper: "rrn-other-root", failing: ["rrnCertificate"]),
        TamperCase(profile: "specimen-1.8", tamper: "rogue-root", failing: ["rootCertificate"]),
        TamperCase(profile: "specimen-1.8", tamper: "basic-key-file", failing: ["basicKeyHash"]),
        TamperCase(profile: "specimen-1.8", tamper: "basic-key-challenge", failing: ["basicKeyChallenge"]),
    ]

    @Test("`sleutel card read` exits 3 and names exactly the failed checks", arguments: cases)
    func cardRead(_ c: TamperCase) throws {
        let card = try CardProcess(profile: c.profile, slot: 0, tamper: c.tamper)
        defer { try? card.remove() }
        let r = try runProcess(Rig.binary, ["card", "read", "--reader", Rig.readers[0], "--json", "--test-roots", Rig.testPKI], timeout: 30)
        #expect(r.status == (c.failing.isEmpty ? 0 : 3), "stderr: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any], "stdout: \(r.stdout)")
        let results = try #require((json["integrity"] as? [String: Any])?["results"] as? [[String: Any]])
        let failed = Set(results.filter { $0["passed"] as? Bool == false }.compactMap { $0["check"] as? String })
        #expect(failed == c.failing, "failed: \(results.filter { $0["passed"] as? Bool == false })")
        #expect(json["integrityValid"] as? Bool == c.failing.isEmpty)
        let checks = Set(results.compactMap { $0["check"] as? String })
        #expect(checks.contains("rootCertificate"), "the card's root is judged against the trusted roots")
        if c.profile.hasSuffix("1.8") { #expect(checks.contains("basicKeyChallenge"), "the chip is challenged") }
        for check in c.failing {
            #expect(r.stderr.contains("integrity check failed:") && r.stderr.contains(check), "stderr names \(check): \(r.stderr)")
        }
    }

    @Test("the kiosk refuses every forged card: error integrityFailed naming the checks, no name or photo, no login")
    func kiosk() throws {
        let server = try ServeProcess()
        let kiosk = try KioskProcess(server: server, reader: Rig.readers[0])
        #expect(try kiosk.waitFor("waitingForCard")["phase"] as? String == "waitingForCard")
        for c in Self.cases where !c.failing.isEmpty {
            let card = try CardProcess(profile: c.profile, slot: 0, tamper: c.tamper)
            let refused = try kiosk.waitUntil("an error for \(c.testDescription)") { $0["phase"] as? String == "error" || $0["phase"] as? String == "enterPIN" }
            #expect(refused["phase"] as? String == "error", "\(c.testDescription): \(refused["phase"] ?? "")")
            #expect(refused["error"] as? String == "integrityFailed", "\(c.testDescription): \(refused["message"] ?? "")")
            let message = refused["message"] as? String ?? ""
            for check in c.failing { #expect(message.contains(check), "\(c.testDescription): \(message)") }
            #expect(refused["name"] == nil && refused["photo"] == nil, "\(c.testDescription): nothing of the forged card is shown")
            let pin = try #require(try profileJSON(c.profile)["pin"] as? String)
            let after = try kiosk.call("POST", "/pin", json: ["pin": pin])
            #expect(after["phase"] as? String == "error" && after["level"] == nil, "\(c.testDescription): no login with a forged card")
            try card.remove()
            #expect(try kiosk.waitFor("waitingForCard")["phase"] as? String == "waitingForCard")
        }
        #expect(try Self.sessions(server) == 0, "the server never saw a forged card")

        // The genuine card in the same reader is shown and logs in.
        let good = try CardProcess(profile: "specimen-1.8", slot: 0)
        defer { try? good.remove() }
        let shown = try kiosk.waitFor("enterPIN")
        #expect(shown["name"] is String && shown["photo"] is String)
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
        #expect(try kiosk.call("POST", "/pin", json: ["pin": pin])["phase"] as? String == "chooseOrganisation")
        #expect(try Self.sessions(server) == 1)
    }

    @Test("in process: EIDCard.verifyIntegrity names the same failures, and a genuine 1.8 chip passes the challenge")
    func library() throws {
        let context = try PCSCContext()
        let roots = try [Rig.testPKI + "/rsa/root.crt", Rig.testPKI + "/ec/root.crt"].map {
            try Certificate(pem: String(contentsOfFile: $0, encoding: .utf8))
        }
        for c in Self.cases {
            let card = try InsertedCard(c.profile, tamper: c.tamper.map { try CardTamper(parsing: $0) })
            defer { try? card.remove() }
            let (connection, eid) = try card.open(context)
            defer { connection.disconnect() }
            let contents = try eid.readAll()
            let report = try eid.verifyIntegrity(of: contents, trustedRoots: roots)
            #expect(Set(report.failures.map(\.check.rawValue)) == c.failing, "\(c.testDescription): \(report.failures)")
            if c.tamper == nil, eid.applet.isEC {
                #expect(report.results.contains { $0.check == .basicKeyChallenge && $0.passed })
            }
        }
    }

    /// Sessions the server ever opened.
    private static func sessions(_ server: ServeProcess) throws -> Int? {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            import sqlite3, sys
            print(sqlite3.connect(sys.argv[1]).execute("SELECT COUNT(*) FROM session").fetchone()[0])
            """, server.directory.appendingPathComponent("s.sqlite").path], timeout: 20)
        return Int(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
