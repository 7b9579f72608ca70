import Foundation
import Testing

/// The privacy check of the suite's logs (Tools/privacy-check.sh, run by Tools/test.sh after
/// `swift test`) must find what is planted in a log, and only that: so it cannot pass silently.
@Suite("privacy check of the logs")
struct PrivacyCheckTests {
    static var script: URL { Rig.root.appendingPathComponent("Tools/privacy-check.sh") }

    /// A scratch folder with `logs/`, `deliveries/` and a secrets manifest.
    struct Sample {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("privacy-check-\(UUID().uuidString)")
        var logs: URL { directory.appendingPathComponent("logs") }
        var deliveries: URL { directory.appendingPathComponent("deliveries") }
        var manifest: URL { directory.appendingPathComponent("secrets.tsv") }

        init(manifest lines: [String], delivery: String) throws {
            try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: deliveries, withIntermediateDirectories: true)
            try (lines.joined(separator: "\n") + "\n").write(to: manifest, atomically: true, encoding: .utf8)
            try delivery.write(to: deliveries.appendingPathComponent("1.json"), atomically: true, encoding: .utf8)
        }

        func log(_ name: String, _ lines: [String]) throws {
            try (lines.joined(separator: "\n") + "\n").write(to: logs.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }

        func check() throws -> ProcessResult {
            try runProcess(PrivacyCheckTests.script, ["--root", Rig.root.path, "--secrets", manifest.path, "--deliveries", deliveries.path,
                                                      logs.path])
        }
    }

    @Test("the built-in self-test finds every planted kind and no decoy")
    func selfTest() throws {
        let result = try runProcess(Self.script, ["--self-test"])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("8 planted secrets found"))
    }

    @Test("planted card NRN, seed, TOTP code and delivered SMS code are reported by file:line and kind, never shown")
    func plantedSecrets() throws {
        let seed = "KRSXG5CTMVSWIU3MMV2XIZLM", hexSeed = "54657374536565645374656c7574656c"
        let sample = try Sample(manifest: ["seed-base32\t\(seed)", "seed-hex\t\(hexSeed)", "code\t731905"],
                                delivery: #"{"to":"+32470000000","text":"Uw Sleutel-code is 604228"}"#)
        defer { try? FileManager.default.removeItem(at: sample.directory) }
        // specimen-1.8's number comes from its card profile (Hardware/cards), not from the manifest.
        try sample.log("serve.log", [
            #"{"time":"2026-12-04T10:00:00.731905Z","message":"login","session":"5eec1b6a"}"#,  // code inside a timestamp: no hit
            #"{"message":"identity read","person":"82020200126"}"#,                              // line 2: nrn
            "otpauth://totp/Sleutel:x?secret=\(seed)&issuer=Sleutel",                            // line 3: seed-base32
            "confirm code=731905 for credential 42",                                             // line 4: code
            "kiosk: pin pad ready on port 61234",                                                // decoy
        ])
        try sample.log("kiosk.log", ["sms code 604228 sent", "seed bytes \(hexSeed.uppercased())"])  // delivered code; hex seed
        let result = try sample.check()
        #expect(result.status == 1, "\(result.stdout)\(result.stderr)")
        let hits = result.stdout.split(separator: "\n").filter { $0.contains("HIT") }.map(String.init)
        #expect(hits.count == 5, "\(result.stdout)")
        for expected in ["serve.log:2: nrn", "serve.log:3: seed-base32", "serve.log:4: code", "kiosk.log:1: code", "kiosk.log:2: seed-hex"] {
            #expect(hits.contains { $0.contains(expected) }, "missing \(expected): \(result.stdout)")
        }
        for secret in ["82020200126", seed, hexSeed, "731905", "604228"] {
            #expect(!result.stdout.contains(secret), "the report shows a secret")
        }
        #expect(!result.stdout.contains("1.json:"), "deliveries are not scanned")
    }

    @Test("clean logs pass, with the secrets counted")
    func cleanLogs() throws {
        let sample = try Sample(manifest: ["code\t731905"], delivery: "{}")
        defer { try? FileManager.default.removeItem(at: sample.directory) }
        try sample.log("serve.log", [#"{"time":"2026-12-04T10:00:00.731905Z","message":"login","outcome":"ok"}"#])
        let result = try sample.check()
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("1 log files, 1 lines scanned"))
        #expect(result.stdout.contains(": 0 hits"))
    }
}
