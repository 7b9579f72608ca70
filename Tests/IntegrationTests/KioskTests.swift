import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sleutel kiosk` as a child process, talking to a `ServeProcess`.
final class KioskProcess {
    let process = Process()
    let port: Int
    private let output = Pipe()

    init(server: ServeProcess, reader: String, extra: [String] = []) throws {
        process.executableURL = Rig.binary
        process.arguments = ["kiosk", "--server", server.url, "--port", "0", "--reader", reader, "--test-roots", Rig.testPKI] + extra
        process.standardOutput = output
        process.standardError = TestLogs.file("kiosk")
        try process.run()
        var buffer = ""
        var found: Int?
        let deadline = Date().addingTimeInterval(20)
        while found == nil, Date() < deadline, process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(20_000); continue }
            buffer += String(decoding: chunk, as: UTF8.self)
            if let range = buffer.range(of: #"kiosk page on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(buffer[range].split(separator: ":").last ?? "")
            }
        }
        guard let found else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "kiosk did not start: \(buffer)"]) }
        port = found
    }

    var url: String { "http://127.0.0.1:\(port)/" }

    /// The page token, read from the served page as the page's own script reads it (nil when
    /// the page carries none).
    private(set) lazy var pageToken: String? = {
        guard let page = try? RawHTTP.send(port: port, "GET / HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n\r\n"),
              let range = page.text.range(of: #"name="sleutel-kiosk-token" content="[^"]+""#, options: .regularExpression) else { return nil }
        return String(page.text[range].split(separator: "\"").last ?? "")
    }()

    /// A request as the kiosk's own page makes it: the page token, and JSON bodies as `application/json`.
    func call(_ method: String, _ path: String, json: [String: Any]? = nil) throws -> [String: Any] {
        var request = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        request.httpMethod = method
        if let pageToken { request.setValue(pageToken, forHTTPHeaderField: RawHTTP.tokenHeader) }
        if let json {
            request.httpBody = try JSONSerialization.data(withJSONObject: json)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let box = DataBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, _, _ in box.data = data ?? Data(); done.signal() }.resume()
        _ = done.wait(timeout: .now() + 30)
        return (try? JSONSerialization.jsonObject(with: box.data)) as? [String: Any] ?? [:]
    }

    /// Polls the state until `phase` (or the timeout).
    func waitFor(_ phase: String, timeout: TimeInterval = 10) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var state: [String: Any] = [:]
        while Date() < deadline {
            state = try call("GET", "/state")
            if state["phase"] as? String == phase { return state }
            usleep(100_000)
        }
        Issue.record("kiosk did not reach \(phase); last state \(state["phase"] ?? "none"): \(state["message"] ?? "")")
        return state
    }

    /// Ends the kiosk (it lets go of the card).
    func stop() {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
    }

    deinit { stop() }
}

@Suite("Kiosk: card in, name and photo, PIN, organisation, rights, card out", .serialized,
       .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct KioskTests {
    @Test("the whole desk flow, rendered by headless Chromium, and the session ends when the card is pulled")
    func deskFlow() throws {
        let server = try ServeProcess()
        let kiosk = try KioskProcess(server: server, reader: Rig.readers[0])
        #expect(try kiosk.waitFor("waitingForCard")["phase"] as? String == "waitingForCard")
        let card = try CardProcess(profile: "specimen-1.8", slot: 0)
        let shown = try kiosk.waitFor("enterPIN")
        #expect(shown["name"] as? String == "Bert Geldigekaart Specimen")
        #expect((shown["photo"] as? String)?.hasPrefix("data:image/jpeg;base64,/9j/") == true)

        let wrong = try kiosk.call("POST", "/pin", json: ["pin": "0000"])
        #expect(wrong["phase"] as? String == "enterPIN")
        #expect(wrong["triesLeft"] as? Int == 2)
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
        let choice = try kiosk.call("POST", "/pin", json: ["pin": pin])
        #expect(choice["phase"] as? String == "chooseOrganisation", "\(choice["message"] ?? "")")
        #expect((choice["organisations"] as? [String])?.sorted() == ["0441928931", "0566988259"])
        #expect(choice["organisationNames"] as? [String: String] == ["0441928931": "DEMO NV", "0566988259": "DEMO BV"])
        let done = try kiosk.call("POST", "/organisation", json: ["organisation": "0441928931"])
        #expect(done["phase"] as? String == "loggedIn")
        #expect(done["organisationNames"] as? [String: String] == ["0441928931": "DEMO NV"])
        #expect(done["rights"] as? [String] == ["ondernemer"])
        #expect(done["level"] as? Int == 500)

        if FileManager.default.isExecutableFile(atPath: "/usr/bin/chromium") {
            let dom = try runProcess(URL(fileURLWithPath: "/usr/bin/chromium"), Self.chromium + ["--dump-dom", kiosk.url], timeout: 60)
            #expect(dom.stdout.contains("U bent aangemeld"), "rendered DOM: \(dom.stdout.prefix(400)) \(dom.stderr.suffix(300))")
            #expect(dom.stdout.contains("ondernemer"))
            #expect(dom.stdout.contains("DEMO NV (0441.928.931)"))
            let shot = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-kiosk-\(getpid()).png")
            defer { try? FileManager.default.removeItem(at: shot) }
            _ = try runProcess(URL(fileURLWithPath: "/usr/bin/chromium"), Self.chromium + ["--screenshot=\(shot.path)", kiosk.url], timeout: 60)
            let png = try Data(contentsOf: shot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]), "a PNG screenshot")
            #expect(png.count > 20_000, "the screenshot shows the page with the photo, not a blank screen")
        } else if ProcessInfo.processInfo.environment["SLEUTEL_RIG"] == "1" {
            Issue.record("chromium is missing (Tools/setup.sh installs it)")
        }

        try card.remove()
        let after = try kiosk.waitFor("waitingForCard")
        #expect(after["name"] == nil && after["photo"] == nil, "nothing of the person stays on screen")
        let ended = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            print(db.execute("SELECT COUNT(*) FROM session WHERE ended_at IS NULL").fetchone()[0],
                  db.execute("SELECT COUNT(*) FROM session").fetchone()[0])
            """, server.directory.appendingPathComponent("s.sqlite").path], timeout: 20)
        #expect(ended.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "0 1", "live and total sessions: \(ended.stdout) \(ended.stderr)")
    }

    static let chromium = ["--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1280,800",
                           "--virtual-time-budget=2000", "--user-data-dir=/tmp/sleutel-chromium-\(getpid())"]
}
