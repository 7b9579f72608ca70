import Foundation
import Testing

/// Issue 19, item 7: the kiosk page answers only itself. A web page from another origin in the
/// kiosk's browser (or any local program) must not read the card holder's name and photo, nor
/// spend the card's PIN tries.
@Suite("Kiosk: other pages in the browser cannot read the state or send PINs", .serialized,
       .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct KioskAttackTests {
    static let chromiumPath = "/usr/bin/chromium"

    @Test("a page from another loopback origin, and one behind DNS rebinding, read nothing and spend no PIN try")
    func hostilePages() throws {
        let server = try ServeProcess()
        let kiosk = try KioskProcess(server: server, reader: Rig.readers[0])
        let card = try CardProcess(profile: "specimen-1.8", slot: 0)
        let shown = try kiosk.waitFor("enterPIN")
        try #require(shown["name"] as? String == "Bert Geldigekaart Specimen", "a card session to attack")
        #expect(shown["triesLeft"] as? Int == 3)
        guard FileManager.default.isExecutableFile(atPath: Self.chromiumPath) else {
            if Rig.required { Issue.record("chromium is missing (Tools/setup.sh installs it)") }
            return
        }
        let attacker = try KioskAttacker(kioskPort: kiosk.port)

        // A page on another loopback origin: cross-origin reads, no-cors text/plain PINs, a form, a frame.
        let crossOrigin = try Self.chromium(attacker.attackURL, extra: [])
        let crossLog = KioskAttacker.log(in: crossOrigin.stdout)
        TestLogs.keep("kiosk-attack-cross-origin", crossLog.joined(separator: "\n"))
        #expect(crossLog.last == "DONE", "the attack script ran to its end: \(crossLog.map { $0.prefix(120) })")
        Self.expectNothingPersonal(crossLog)
        // The framed kiosk page is refused by its frame-ancestors policy (Chromium says so on its console).
        let console = crossOrigin.stderr.split(separator: "\n").filter { $0.contains("CONSOLE") }.map { $0.suffix(240) }
        #expect(console.contains { $0.contains("frame-ancestors") }, "chromium refused to frame the kiosk: \(console)")

        // DNS rebinding: the attacker's name now points at the kiosk, so its script is same-origin.
        let rebound = try Self.chromium(attacker.rebindURL, extra: ["--proxy-server=http://127.0.0.1:\(attacker.port)"])
        let rebindLog = KioskAttacker.log(in: rebound.stdout)
        TestLogs.keep("kiosk-attack-rebinding", rebindLog.joined(separator: "\n"))
        #expect(rebindLog.last == "DONE", "the rebinding script ran to its end: \(rebindLog.map { $0.prefix(120) })")
        Self.expectNothingPersonal(rebindLog)
        #expect(rebindLog.contains { $0.hasPrefix("PAGE-READ") && $0.hasSuffix("no-token") },
                "the page token did not leak: \(rebindLog.map { $0.prefix(120) })")
        #expect(rebindLog.filter { $0.hasPrefix("PIN-ANSWER 403") && $0.contains("kiosk.hostRefused") }.count == 3,
                "every rebound PIN is refused for its Host: \(rebindLog.map { $0.prefix(120) })")

        // The card's PIN counter is untouched: first as the kiosk sees it, then on the card itself
        // through pcscd once the kiosk has let go of it.
        let after = try kiosk.call("GET", "/state")
        #expect(after["phase"] as? String == "enterPIN", "\(after["phase"] ?? "none"): \(after["message"] ?? "")")
        #expect(after["triesLeft"] as? Int == 3, "the kiosk's count of PIN tries left")
        kiosk.stop()
        let status = try runProcess(Rig.binary, ["card", "verify-pin", "--reader", Rig.readers[0], "--status"], timeout: 20)
        #expect(status.stdout.contains("PIN tries left: 3"), "the card's own counter: \(status.stdout) \(status.stderr)")
        try card.remove()
    }

    @Test("wrong Host, wrong Origin, text/plain, no or a wrong token: refused with a typed JSON error, nothing reaches the card")
    func forgedRequests() throws {
        let server = try ServeProcess()
        let kiosk = try KioskProcess(server: server, reader: Rig.readers[0])
        let card = try CardProcess(profile: "specimen-1.8", slot: 0)
        _ = try kiosk.waitFor("enterPIN")
        let port = kiosk.port
        let own = "127.0.0.1:\(port)"
        let token = try #require(kiosk.pageToken, "the served page carries a page token")
        let pin = #"{"pin":"0000"}"#
        func send(_ method: String, _ path: String, _ headers: [(String, String)], body: String? = nil) throws -> RawHTTP.Reply {
            try RawHTTP.send(port: port, RawHTTP.request(method, path, headers: headers, body: body))
        }
        func refused(_ reply: RawHTTP.Reply, _ status: Int, _ code: String, _ what: Comment) {
            #expect(reply.status == status, what)
            #expect(reply.errorCode == code, "\(what): \(reply.text.prefix(200))")
            #expect(reply.headers["content-type"]?.hasPrefix("application/json") == true, what)
            #expect(!reply.text.contains("Specimen") && !reply.text.contains(token), what)
            #expect(!reply.fieldNames.contains { $0.hasPrefix("access-control-") }, what)
        }
        let json = ("Content-Type", "application/json")
        let withToken = (RawHTTP.tokenHeader, token)

        // Host: anything but the kiosk's own loopback address and port (DNS rebinding, a proxy, a typo).
        for host in ["rebind.test:\(port)", "127.0.0.1:\(port + 1)", "127.0.0.1", "localhost.attacker.test:\(port)", "127.0.0.2:\(port)",
                     "127.0.0.1:\(port)@evil.test", "[::1]:\(port)", ""] {
            refused(try send("GET", "/state", [("Host", host), withToken]), 403, "kiosk.hostRefused", "GET /state with Host \(host)")
            refused(try send("POST", "/pin", [("Host", host), json, withToken], body: pin), 403, "kiosk.hostRefused", "POST /pin with Host \(host)")
            let page = try send("GET", "/", [("Host", host)])
            refused(page, 403, "kiosk.hostRefused", "the page with Host \(host)")
        }
        refused(try send("GET", "/state", [withToken]), 403, "kiosk.hostRefused", "no Host at all")
        refused(try send("GET", "/state", [("Host", own), ("Host", "rebind.test:\(port)"), withToken]), 403, "kiosk.hostRefused", "two Host fields")

        // Origin, when present, is the kiosk's own.
        for origin in ["http://127.0.0.1:\(port + 1)", "http://rebind.test:\(port)", "null", "https://\(own)", "http://\(own)/", "http://localhost:\(port)"] {
            refused(try send("POST", "/pin", [("Host", own), ("Origin", origin), json, withToken], body: pin), 403, "kiosk.originRefused",
                    "POST /pin from Origin \(origin)")
            refused(try send("GET", "/state", [("Host", own), ("Origin", origin), withToken]), 403, "kiosk.originRefused",
                    "GET /state from Origin \(origin)")
        }
        refused(try send("POST", "/pin", [("Host", own), ("Origin", "http://\(own)"), ("Origin", "http://evil.test"), json, withToken], body: pin),
                403, "kiosk.originRefused", "two Origin fields")

        // POSTs are JSON only.
        for type in ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                     "application/jsonp", "application/json-seq", ""] {
            refused(try send("POST", "/pin", [("Host", own), ("Content-Type", type), withToken], body: pin), 415, "kiosk.contentTypeRefused",
                    "POST /pin as \(type)")
        }
        refused(try send("POST", "/pin", [("Host", own), withToken], body: pin), 415, "kiosk.contentTypeRefused", "POST /pin without a type")

        // The page token, on every request but the page itself.
        let wrongTokens = ["", String(token.dropLast()), String(token.dropLast()) + (token.last == "A" ? "B" : "A"), token + "A",
                           token.uppercased() == token ? token.lowercased() : token.uppercased(), String(repeating: "A", count: token.count)]
        for (path, method, body) in [("/state", "GET", nil), ("/pin", "POST", pin), ("/organisation", "POST", #"{"organisation":"0441928931"}"#),
                                     ("/logout", "POST", "{}"), ("/nothing", "GET", nil)] as [(String, String, String?)] {
            let type = body == nil ? [] : [json]
            refused(try send(method, path, [("Host", own)] + type, body: body), 403, "kiosk.tokenInvalid", "\(method) \(path) without a token")
            for wrong in wrongTokens where wrong != token {
                refused(try send(method, path, [("Host", own), (RawHTTP.tokenHeader, wrong)] + type, body: body), 403, "kiosk.tokenInvalid",
                        "\(method) \(path) with a wrong token")
            }
        }
        refused(try send("POST", "/pin", [("Host", own), json, withToken, (RawHTTP.tokenHeader, "A")], body: pin), 403, "kiosk.tokenInvalid",
                "two token fields")

        // A CORS preflight gets no CORS permission.
        let preflight = try send("OPTIONS", "/pin", [("Host", own), ("Origin", "http://127.0.0.1:\(port + 1)"), ("Access-Control-Request-Method", "POST"),
                                                     ("Access-Control-Request-Headers", "content-type,x-sleutel-kiosk-token")])
        #expect(preflight.status >= 400 && !preflight.fieldNames.contains { $0.hasPrefix("access-control-") }, "preflight: \(preflight.status)")

        // None of it reached the card.
        let state = try send("GET", "/state", [("Host", own), withToken])
        #expect(state.status == 200)
        #expect(state.json["phase"] as? String == "enterPIN" && state.json["triesLeft"] as? Int == 3, "\(state.json["message"] ?? "")")
        #expect(state.headers["cache-control"] == "no-store")
        #expect(state.headers["x-frame-options"] == "DENY" && state.headers["x-content-type-options"] == "nosniff")
        #expect(state.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)

        // The page: served to its own Host (also as localhost), with the token and the framing headers.
        for host in [own, "localhost:\(port)", "LOCALHOST:\(port)"] {
            let page = try send("GET", "/", [("Host", host)])
            #expect(page.status == 200 && page.text.contains(#"name="sleutel-kiosk-token" content="\#(token)""#), "the page for Host \(host)")
            #expect(page.headers["content-security-policy"]?.contains("frame-ancestors 'none'") == true)
            #expect(page.headers["x-frame-options"] == "DENY" && page.headers["x-content-type-options"] == "nosniff")
            #expect(page.headers["cache-control"] == "no-store")
            #expect(!page.fieldNames.contains { $0.hasPrefix("access-control-") })
        }
        let viaLocalhost = try send("GET", "/state", [("Host", "localhost:\(port)"), ("Origin", "http://localhost:\(port)"), withToken])
        #expect(viaLocalhost.status == 200, "the page opened as http://localhost:PORT/ works too")

        // Control: a request made the way the page makes it does reach the card.
        let wrong = try send("POST", "/pin", [("Host", own), ("Origin", "http://\(own)"), ("Content-Type", "application/json; charset=utf-8"), withToken],
                             body: pin)
        #expect(wrong.status == 200 && wrong.json["triesLeft"] as? Int == 2, "the page's own wrong PIN counts: \(wrong.text.prefix(200))")
        try card.remove()
    }

    /// Runs headless Chromium on `url` (console messages on standard error) and dumps the DOM.
    static func chromium(_ url: String, extra: [String]) throws -> ProcessResult {
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-chromium-attack-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        return try runProcess(URL(fileURLWithPath: chromiumPath),
                              ["--headless=new", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=15000", "--enable-logging=stderr", "--v=0",
                               "--user-data-dir=\(profile.path)"] + extra + ["--dump-dom", url], timeout: 90)
    }

    /// The attacker's log holds nothing of the card holder: no name, no photo, no state at all.
    static func expectNothingPersonal(_ log: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        let text = log.joined(separator: "\n")
        let leaks = ["Specimen", "Bert", "data:image", "\"phase\"", "\"triesLeft\"", "enterPIN"].filter { text.contains($0) }
        #expect(leaks.isEmpty, "the attacker read \(leaks): \(log.map { $0.prefix(120) })", sourceLocation: sourceLocation)
    }
}
