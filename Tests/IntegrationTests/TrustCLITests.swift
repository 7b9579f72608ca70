import Foundation
import Testing

@Suite("`sleutel trust` against the test PKI and the Belgium roots")
struct TrustCLITests {
    func pki(_ path: String) -> String { Rig.root.appendingPathComponent("Hardware/test-pki/\(path)").path }

    @Test("a test card validates only in test mode; production refuses it and refuses test roots")
    func verify() throws {
        let leaf = pki("persons/specimen-1.8/auth.crt"), ca = pki("ec/citizen-ca.crt"), root = pki("ec/root.crt")
        let ok = try runProcess(Rig.binary, ["trust", "verify", leaf, "--intermediate", ca, "--test", "--roots", root, "--json"])
        #expect(ok.status == 0, "\(ok.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [String: String])
        #expect(json["verdict"] == "valid")
        #expect(json["holder"] == "citizen")
        #expect(json["testRoot"] == "true")
        let production = try runProcess(Rig.binary, ["trust", "verify", leaf, "--intermediate", ca])
        #expect(production.status == 2)
        #expect(production.stderr.contains("noTrustAnchor"))
        let mixed = try runProcess(Rig.binary, ["trust", "verify", leaf, "--intermediate", ca, "--roots", root])
        #expect(mixed.status != 0)
        #expect(mixed.stderr.contains("testRootInProduction"))
    }

    @Test("an expired certificate is refused with the rule named; the same at a past instant passes")
    func expired() throws {
        let args = ["trust", "verify", pki("persons/expired-1.7/auth.crt"), "--intermediate", pki("rsa/citizen-ca.crt"), "--test",
                    "--roots", pki("rsa/root.crt")]
        let now = try runProcess(Rig.binary, args)
        #expect(now.status == 2)
        #expect(now.stderr.contains("refused (expired)"))
        let then = try runProcess(Rig.binary, args + ["--at", "2022-06-01T00:00:00Z"])
        #expect(then.status == 0, "\(then.stderr)")
    }

    @Test("`trust roots` lists the five Belgium root keys with their SPKI fingerprints")
    func roots() throws {
        let r = try runProcess(Rig.binary, ["trust", "roots"])
        #expect(r.status == 0)
        for fp in ["98ca29f313386721", "f8e5f905bc939911", "c7bc5e493726bbf5", "b1538a9071705a92", "894ad2232fe69bb0"] {
            #expect(r.stdout.contains(fp))
        }
    }
}

/// True when the test-PKI responders of Tools/pki-responders.sh should be up: `SLEUTEL_PKI_RESPONDERS=1`
/// (Tools/test.sh; then the tests fail if they are down), or the CRL file server answers.
enum PKIResponders {
    static let enabled: Bool = {
        if ProcessInfo.processInfo.environment["SLEUTEL_PKI_RESPONDERS"] == "1" { return true }
        // Probes only the python file server (port 8890), never an openssl ocsp port.
        guard let r = try? runProcess(URL(fileURLWithPath: "/usr/bin/curl"),
                                      ["-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:8890/README.md"], timeout: 5)
        else { return false }
        return r.stdout == "200"
    }()
}

@Suite("`sleutel trust verify` key strength and revocation")
struct TrustVerifyChecksCLITests {
    func pki(_ path: String) -> String { Rig.root.appendingPathComponent("Hardware/test-pki/\(path)").path }
    var rsaArgs: [String] { ["--intermediate", pki("rsa/citizen-ca.crt"), "--test", "--roots", pki("rsa/root.crt")] }

    func json(_ r: ProcessResult) throws -> [String: String] {
        try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: String], "\(r.stdout) \(r.stderr)")
    }

    @Test("key strength is part of the verdict: RSA-2048 passes NIST through 2030 and is refused under BSI")
    func keyStrength() throws {
        let nist = try runProcess(Rig.binary, ["trust", "verify", pki("persons/specimen-1.7/auth.crt")] + rsaArgs + ["--at", "2026-06-01T00:00:00Z", "--json"])
        #expect(nist.status == 0, "\(nist.stderr)")
        let n = try json(nist)
        #expect(n["key"] == "RSA-2048 e=65537")
        #expect(n["keyVerdict"] == "acceptable")
        #expect(n["keyLifetime"] == "through 2030")
        #expect(n["revocation"] == "not checked")
        let bsi = try runProcess(Rig.binary, ["trust", "verify", pki("persons/specimen-1.7/auth.crt")] + rsaArgs
                                 + ["--at", "2026-06-01T00:00:00Z", "--policy", "bsi"])
        #expect(bsi.status == 2)
        #expect(bsi.stdout.contains("key: RSA-2048 e=65537: weak"))
        #expect(bsi.stderr.contains("refused (weakKey)"))
        let later = try runProcess(Rig.binary, ["trust", "verify", pki("persons/specimen-1.7/auth.crt")] + rsaArgs + ["--at", "2031-06-01T00:00:00Z", "--json"])
        #expect(later.status == 2)
        #expect(try json(later)["rule"] == "weakKey")
    }

    @Test("responder down: hard-fail refuses with revocationUnavailable; revocation options need --revocation")
    func responderDown() throws {
        let down = try runProcess(Rig.binary, ["trust", "verify", pki("persons/specimen-1.7/auth.crt")] + rsaArgs +
            ["--revocation", "--ocsp-url", "http://127.0.0.1:8899/citizen-ca", "--no-crl", "--json"])
        #expect(down.status == 2)
        let d = try json(down)
        #expect(d["rule"] == "revocationUnavailable")
        #expect(d["revocation"] == "unavailable")
        #expect(d["keyVerdict"] == "acceptable")
        let misuse = try runProcess(Rig.binary, ["trust", "verify", pki("persons/specimen-1.7/auth.crt")] + rsaArgs + ["--no-crl"])
        #expect(misuse.status != 0 && misuse.status != 2)
        #expect(misuse.stderr.contains("--revocation"))
    }

    @Test("revocation against the real responders: good by OCSP, revoked refused, CRL when OCSP is off",
          .enabled(if: PKIResponders.enabled, "needs Tools/pki-responders.sh start"))
    func revocation() throws {
        let good = try runProcess(Rig.binary, ["trust", "verify", pki("persons/specimen-1.7/auth.crt")] + rsaArgs + ["--revocation", "--json"])
        #expect(good.status == 0, "\(good.stderr)")
        let g = try json(good)
        #expect(g["revocation"] == "good")
        #expect(g["revocationSource"] == "ocsp http://127.0.0.1:8888/citizen-ca")
        let revoked = try runProcess(Rig.binary, ["trust", "verify", pki("persons/revoked-1.7/auth.crt")] + rsaArgs + ["--revocation"])
        #expect(revoked.status == 2)
        #expect(revoked.stdout.contains("revocation: revoked"))
        #expect(revoked.stderr.contains("refused (revoked)"))
        let crl = try runProcess(Rig.binary, ["trust", "verify", pki("persons/revoked-1.7/auth.crt")] + rsaArgs + ["--revocation", "--no-ocsp", "--json"])
        #expect(crl.status == 2)
        #expect(try json(crl)["revocationSource"] == "crl http://127.0.0.1:8890/crl/rsa-citizen-ca.crl")
        let soft = try runProcess(Rig.binary, ["trust", "verify", pki("persons/specimen-1.7/auth.crt")] + rsaArgs +
            ["--revocation", "--soft-fail", "600", "--ocsp-url", "http://127.0.0.1:8899/citizen-ca", "--no-crl"])
        // A one-shot process has no earlier good answer: soft-fail refuses too.
        #expect(soft.status == 2)
        #expect(soft.stderr.contains("soft-fail"))
    }
}

@Suite("`sleutel-dev bench-gcd` synthetic corpus")
struct BenchGCDCLITests {
    @Test("RSA-like moduli share nothing but the planted factors: exactly the planted moduli are found")
    func planted() throws {
        let r = try runProcess(Rig.devBinary, ["bench-gcd", "--count", "3000", "--planted", "6", "--json"], timeout: 120)
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(json["plantedLeaves"] as? Int == 12)
        #expect(json["plantedFound"] as? Int == 12)
        #expect(json["hits"] as? Int == 12)
        #expect(json["incidentalHits"] as? Int == 0)
        #expect((json["minBits"] as? Int ?? 0) >= 2046)
        #expect((json["maxBits"] as? Int ?? 0) <= 2050)
    }
}

@Suite("`sleutel keys check` on many files")
struct KeysCheckCLITests {
    func pki(_ path: String) -> String { Rig.root.appendingPathComponent("Hardware/test-pki/\(path)").path }

    @Test("thousands of operands with options between them: one verdict per file, in order, as file by file")
    func manyOperands() throws {
        let kinds = [pki("rsa/root.crt"), pki("ec/root.crt"), pki("rsa/citizen-ca.der"), pki("ec/citizen-ca.key"), "/nonexistent/key.pem", pki("rsa")]
        var single: [String: String] = [:]
        for file in kinds {
            let r = try runProcess(Rig.binary, ["keys", "check", "--json", "--policy", "bsi", "--year", "2026", file])
            single[file] = r.stdout
        }
        #expect(single[pki("ec/citizen-ca.key")]?.contains(#""error""#) == true)
        let files = (0..<3000).map { kinds[$0 % kinds.count] }
        // Options before, between and after the operands, and a `--` before the last ones.
        let args = ["keys", "check", "--json"] + files[0..<1000] + ["--policy", "bsi"] + files[1000..<2000]
            + ["--year", "2026", "--threads", "2", "--"] + files[2000...]
        let r = try runProcess(Rig.binary, args, timeout: 120)
        #expect(r.status == 2, "an unreadable file makes the status 2")
        #expect(r.stdout == files.map { single[$0]! }.joined())
        let text = try runProcess(Rig.binary, ["keys", "check", "--year", "2026", kinds[0], kinds[1], kinds[0]])
        #expect(text.stdout.split(separator: "\n").count == 3 && text.stdout.contains("OK"))
        let bad = try runProcess(Rig.binary, ["keys", "check", kinds[0], "--policy", "nope", kinds[1]])
        #expect(bad.status != 0 && bad.stderr.contains("unknown policy"))
        // A FIFO is refused, not waited on.
        let fifo = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-fifo-\(UUID().uuidString)").path
        #expect(mkfifo(fifo, 0o600) == 0)
        defer { unlink(fifo) }
        let waited = try runProcess(Rig.binary, ["keys", "check", fifo, kinds[0]], timeout: 20)
        #expect(waited.status == 2 && waited.stdout.contains("UNREADABLE cannot read file"))
    }
}
