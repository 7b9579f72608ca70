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
        let args = ["trust", "verify", pki("persons/expired-1.7/auth.crt"), "--intermediate", pki("rsa/citizen-ca.crt"), "--test", "--roots", pki("rsa/root.crt")]
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
