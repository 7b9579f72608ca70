import Foundation
import SleutelTestSupport
import Testing

/// A relying web application logs people in through Sleutel in a real browser: the relying party
/// of `Tools/oidc-rp/flow.py` is built on Authlib (PyPI) and drives headless Chromium through
/// chromedriver against `sleutel serve`; `sleutel agent` signs with the virtual card through the
/// real pcscd, the PIN typed where the agent asks; TOTP codes come from oathtool.
@Suite("Relying party (Authlib) → headless Chromium → Sleutel's login pages → card agent", .serialized,
       .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct BrowserLoginTests {
    static let python = Rig.root.appendingPathComponent(".build-tools/venv/bin/python")
    static let flow = Rig.root.appendingPathComponent("Tools/oidc-rp/flow.py")

    /// What the person uses for the security-code login (set with the operator CLI before the run).
    static let username = "bert.specimen"
    static let password = "lange zin als wachtwoord 2026"

    @Test("""
        eID through the agent, organisation choice, single sign-on, prompt=none, refresh rotation, logout with back-channel tokens, \
        password + TOTP, step-up 400 → 500, and the attacks
        """)
    func browserFlows() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.python.path),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver")
        else {
            if Rig.required { Issue.record("the relying party's tools are missing (Tools/setup.sh installs Authlib, Selenium and chromium-driver)") }
            return
        }
        let agentPort = try freeLoopbackPort(), rpPort = try freeLoopbackPort(), serverPort = try freeLoopbackPort()
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-browser-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let clients = directory.appendingPathComponent("clients.json")
        let rp = "http://127.0.0.1:\(rpPort)"
        try Data("""
            [{"clientId": "rp-one", "redirectUris": ["\(rp)/callback"], "application": "eloket", "claims": ["name", "organisation"],
              "postLogoutRedirectUris": ["\(rp)/logged-out"], "backchannelLogoutUri": "\(rp)/backchannel"},
             {"clientId": "rp-two", "redirectUris": ["\(rp)/callback2"], "application": "eloket", "claims": ["organisation"],
              "backchannelLogoutUri": "\(rp)/backchannel2"}]
            """.utf8).write(to: clients)
        let server = try ServeProcess(extra: ["--oidc-clients", clients.path, "--card-agent", "http://127.0.0.1:\(agentPort)",
                                              "--issuer", "http://127.0.0.1:\(serverPort)", "--rate-limit", "1000"], port: serverPort)
        let card = try CardProcess(profile: "specimen-1.8", slot: 0)
        defer { try? card.remove() }
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)

        // The operator gives the card's holder a password and an authenticator app.
        let database = ["--database", server.directory.appendingPathComponent("s.sqlite").path]
        let person = "82020200126"
        TestSecrets.record(.password, Self.password)
        let set = try runProcess(Rig.binary, ["otp", "password", "set", "--username", Self.username, "--person", person] + database,
                                 stdin: Self.password + "\n")
        #expect(set.status == 0, "password set: \(set.stderr)")
        let enrol = try runProcess(Rig.binary, ["otp", "enroll", "--person", person, "--account", Self.username] + database)
        #expect(enrol.status == 0, "enroll: \(enrol.stderr)")
        let lines = enrol.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true) }
        let credential = try #require(lines.first { $0.first == "credential" }?.dropFirst().first.map(String.init))
        let secret = try #require(lines.first { $0.first == "secret" }?.dropFirst().first.map(String.init))
        TestSecrets.record(.seedBase32, secret)
        let code = try runProcess(URL(fileURLWithPath: "/usr/bin/oathtool"), ["--totp", "-b", secret])
        let usedStep = Int(Date().timeIntervalSince1970) / 30
        let confirm = try runProcess(Rig.binary, ["otp", "confirm", "--person", person, "--credential", credential,
                                                  code.stdout.trimmingCharacters(in: .whitespacesAndNewlines)] + database)
        #expect(confirm.status == 0, "confirm: \(confirm.stderr)")

        let shots = TestLogs.directory?.appendingPathComponent("browser-login").path
        if let shots { try? FileManager.default.createDirectory(atPath: shots, withIntermediateDirectories: true) }
        let run = try runProcess(Self.python, [
            Self.flow.path, "--issuer", server.url, "--sleutel", Rig.binary.path, "--agent-port", "\(agentPort)",
            "--reader", Rig.readers[0], "--pin", pin, "--rp-port", "\(rpPort)",
            "--username", Self.username, "--password", Self.password, "--totp-secret", secret, "--totp-used-step", "\(usedStep)",
        ] + (shots.map { ["--screenshots", $0] } ?? []), timeout: 300)
        let report = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: [String: Any]] ?? [:]
        #expect(run.status == 0, "flow.py exited \(run.status)\n\(run.stdout.suffix(6000))\n\(run.stderr.suffix(3000))")
        for name in ["prompt-none", "eid", "sso", "attacks", "refresh", "logout", "password-totp", "step-up"] {
            #expect(report[name]?["ok"] as? Bool == true, "\(name): \(report[name] ?? [:])")
        }
        #expect(report["prompt-none"]?["error"] as? String == "login_required")
        #expect(report["sso"]?["pinPrompts"] as? Int == 0)
        #expect((report["eid"]?["organisations"] as? [String])?.count == 2, "the organisation choice: \(report["eid"] ?? [:])")
        #expect(report["sso"]?["vo_orgcode"] as? String == report["eid"]?["vo_orgcode"] as? String)
        #expect(report["password-totp"]?["acr"] as? String == "urn:be:fedict:iam:fas:Level400")
        #expect(report["step-up"]?["acr"] as? String == "urn:be:fedict:iam:fas:Level500")
        let attacks = report["attacks"] ?? [:]
        #expect(attacks["wrongVerifier"] as? String == "invalid_grant")
        #expect(attacks["codeReuse"] as? String == "invalid_grant")
        #expect(attacks["unregisteredRedirect"] as? Int == 400)
        #expect(attacks["foreignOriginAtAgent"] as? Int == 403)
        #expect(report["refresh"]?["reuse"] as? String == "invalid_grant")
        #expect(report["logout"]?["backChannelTokens"] as? Int == 2)
        #expect(report["logout"]?["unregisteredPostLogout"] as? Int == 400)
        // Neither the PIN nor the password reaches the server's log or the relying party's output.
        for text in [server.errorOutput, run.stdout] {
            #expect(!text.contains(Self.password))
        }
        #expect(!server.errorOutput.contains(pin))
    }
}

/// A loopback port free right now (bound, read, released), for a process that needs its port
/// before it starts.
func freeLoopbackPort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
            bind(descriptor, socketAddress, length) == 0 && getsockname(descriptor, socketAddress, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
    return Int(UInt16(bigEndian: address.sin_port))
}
