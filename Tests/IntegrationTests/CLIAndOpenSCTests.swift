import BelgianEID
import CryptoCore
import Foundation
import PCSC
import Testing

/// The profile's JSON, for expectations about what the card must show.
func profileJSON(_ name: String) throws -> [String: Any] {
    let data = try Data(contentsOf: Rig.profile(name))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

@Suite("CLI and OpenSC against a virtual card in pcscd", .serialized, .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct CLIAndOpenSCTests {
    @Test("`sleutel card read --json` shows the profile's identity and a valid integrity verdict")
    func cliRead() throws {
        let card = try CardProcess(profile: "specimen-1.7", slot: 0)
        defer { try? card.remove() }
        let photo = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-photo-\(getpid()).jpg")
        defer { try? FileManager.default.removeItem(at: photo) }
        let r = try runProcess(Rig.binary, ["card", "read", "--reader", Rig.readers[0], "--json", "--photo", photo.path, "--test-roots", Rig.testPKI],
                               timeout: 30)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let profile = try profileJSON("specimen-1.7")
        let expected = try #require(profile["identity"] as? [String: Any])
        let identity = try #require(json["identity"] as? [String: Any])
        #expect(identity["surname"] as? String == expected["surname"] as? String)
        #expect(identity["nationalNumber"] as? String == expected["nationalNumber"] as? String)
        #expect(json["integrityValid"] as? Bool == true)
        let certs = try #require(json["certificates"] as? [[String: Any]])
        #expect(certs.count == 5)
        let photoBytes = try Data(contentsOf: photo)
        #expect(photoBytes.starts(with: [0xFF, 0xD8]))  // JPEG SOI
    }

    @Test("""
        `sleutel card read --trust --test-roots` judges auth, sign and RRN certificates; production roots fail the test card's integrity; \
        without --trust no verdict
        """)
    func cliReadTrust() throws {
        let card = try CardProcess(profile: "specimen-1.7", slot: 0)
        defer { try? card.remove() }
        let pki = Rig.root.appendingPathComponent("Hardware/test-pki").path
        var args = ["card", "read", "--reader", Rig.readers[0], "--json", "--trust", "--test-roots", pki]
        if PKIResponders.enabled { args.append("--revocation") }
        let r = try runProcess(Rig.binary, args, timeout: 60)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let trust = try #require(json["trust"] as? [[String: Any]])
        #expect(trust.compactMap { $0["file"] as? String } == ["authenticationCertificate", "signatureCertificate", "rrnCertificate"])
        for entry in trust {
            let report = try #require(entry["report"] as? [String: String])
            #expect(report["verdict"] == "valid", "\(report)")
            #expect(report["keyVerdict"] == "acceptable")
            #expect(report["revocation"] == (PKIResponders.enabled ? "good" : "not checked"))
        }
        // Production roots refuse the test card: its root is not a trusted root, so its data fails the
        // integrity check (exit 3, before the trust verdicts' exit 6), the rules named in the text output.
        let production = try runProcess(Rig.binary, ["card", "read", "--reader", Rig.readers[0], "--trust"], timeout: 60)
        #expect(production.status == 3)
        #expect(production.stdout.contains("Integrity rootCertificate: FAILED"), "\(production.stdout)")
        #expect(production.stdout.contains("Trust authenticationCertificate: REFUSED (noTrustAnchor"))
        let plain = try runProcess(Rig.binary, ["card", "read", "--reader", Rig.readers[0], "--json", "--test-roots", Rig.testPKI], timeout: 30)
        let plainJSON = try #require(try JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        #expect(plainJSON["trust"] == nil)
    }

    @Test("`sleutel card read --trust --revocation` refuses the revoked card's authentication certificate (exit 6)",
          .enabled(if: PKIResponders.enabled, "needs Tools/pki-responders.sh start"))
    func cliReadTrustRevoked() throws {
        let card = try CardProcess(profile: "revoked-1.7", slot: 0)
        defer { try? card.remove() }
        let pki = Rig.root.appendingPathComponent("Hardware/test-pki").path
        let r = try runProcess(Rig.binary, ["card", "read", "--reader", Rig.readers[0], "--trust", "--test-roots", pki, "--revocation"], timeout: 60)
        #expect(r.status == 6, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("Trust authenticationCertificate: REFUSED (revoked"))
    }

    @Test("`sleutel card readers` lists both virtual readers and the inserted eID")
    func cliReaders() throws {
        let card = try CardProcess(profile: "specimen-1.8", slot: 1)
        defer { try? card.remove() }
        let r = try runProcess(Rig.binary, ["card", "readers"], timeout: 10)
        #expect(r.status == 0)
        #expect(r.stdout.contains("Virtual PCD 00 00"))
        #expect(r.stdout.contains("Virtual PCD 00 01: card present, ATR 3B 7F 96 00 00 80 31 80 65 B0 85 04 01 20 12 0F FF 82 90 00 (Belgian eID)"))
    }

    @Test("`sleutel card verify-pin`: wrong PIN gives exit 4 and tries left, right PIN exit 0")
    func cliVerifyPIN() throws {
        let card = try CardProcess(profile: "specimen-1.7", slot: 0)
        defer { try? card.remove() }
        let pin = try #require(try profileJSON("specimen-1.7")["pin"] as? String)
        let wrong = try runProcess(Rig.binary, ["card", "verify-pin", "--reader", Rig.readers[0]], stdin: "0000\n", timeout: 20)
        #expect(wrong.status == 4)
        #expect(wrong.stderr.contains("2 tries left"))
        #expect(!wrong.stderr.contains("0000"))
        let status = try runProcess(Rig.binary, ["card", "verify-pin", "--reader", Rig.readers[0], "--status"], timeout: 20)
        #expect(status.stdout.contains("tries left: 2"))
        let right = try runProcess(Rig.binary, ["card", "verify-pin", "--reader", Rig.readers[0]], stdin: pin + "\n", timeout: 20)
        #expect(right.status == 0, "stderr: \(right.stderr)")
        #expect(right.stdout.contains("PIN correct"))
        #expect(!right.stdout.contains(pin) && !right.stderr.contains(pin))
    }

    @Test("`sleutel card verify-pin --pinpad` on vpcd says there is no pin pad")
    func cliNoPinPad() throws {
        let card = try CardProcess(profile: "specimen-1.7", slot: 0)
        defer { try? card.remove() }
        let r = try runProcess(Rig.binary, ["card", "verify-pin", "--reader", Rig.readers[0], "--pinpad"], timeout: 20)
        #expect(r.status != 0)
        #expect(r.stderr.contains("no pin pad"))
    }

    @Test("OpenSC recognises the 1.7 virtual card and pkcs15-tool lists its certificates")
    func openSCInterop() throws {
        let card = try CardProcess(profile: "specimen-1.7", slot: 0)
        defer { try? card.remove() }
        let name = try runProcess(URL(fileURLWithPath: "/usr/bin/opensc-tool"), ["--reader", "0", "--name"], timeout: 30)
        #expect(name.stdout.lowercased().contains("belpic"), "opensc-tool: \(name.stdout) \(name.stderr)")
        let list = try runProcess(URL(fileURLWithPath: "/usr/bin/pkcs15-tool"), ["--reader", "0", "--list-certificates"], timeout: 60)
        #expect(list.status == 0, "pkcs15-tool: \(list.stderr)")
        for label in ["Authentication", "Signature", "CA", "Root"] {
            #expect(list.stdout.contains("X.509 Certificate [\(label)]"), "missing \(label) in: \(list.stdout)")
        }
        // The independent reader agrees with ours on the authentication certificate's bytes.
        let pem = try runProcess(URL(fileURLWithPath: "/usr/bin/pkcs15-tool"), ["--reader", "0", "--read-certificate", "02"], timeout: 60)
        #expect(pem.status == 0, "pkcs15-tool: \(pem.stderr)")
        let theirs = try Certificate(pem: pem.stdout)
        let context = try PCSCContext()
        let connection = try context.connect(reader: Rig.readers[0])
        defer { connection.disconnect() }
        let ours = try EIDCard(channel: connection).read(.authenticationCertificate)
        #expect(theirs.derEncoded == ours)
    }

    @Test("a minor's 1.8 card reads with four certificates and no signature certificate")
    func openSCMinor() throws {
        let card = try CardProcess(profile: "minor-1.8", slot: 0)
        defer { try? card.remove() }
        let r = try runProcess(Rig.binary, ["card", "read", "--reader", Rig.readers[0], "--json", "--test-roots", Rig.testPKI], timeout: 30)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let certs = try #require(json["certificates"] as? [[String: Any]])
        #expect(!certs.contains { $0["file"] as? String == "signatureCertificate" })
        #expect(certs.count == 4)
    }

    @Test("`sleutel card watch` reports insertion and removal")
    func cliWatch() throws {
        let watcher = Process()
        watcher.executableURL = Rig.binary
        watcher.arguments = ["card", "watch", "--seconds", "6"]
        let out = Pipe()
        watcher.standardOutput = out
        try watcher.run()
        usleep(500_000)
        let card = try CardProcess(profile: "specimen-1.7", slot: 1)
        try card.remove()
        watcher.waitUntilExit()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(text.contains("card inserted: Virtual PCD 00 01 ATR 3B 98 13 40 0A A5 03 01 01 01 AD 13 11"))
        #expect(text.contains("card removed: Virtual PCD 00 01"))
    }
}
