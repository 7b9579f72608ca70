import Foundation
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `sleutel serve` as a child process on a free loopback port, with the demo data and the test roots.
final class ServeProcess {
    let process = Process()
    let port: Int
    let directory: URL
    private let output = Pipe()

    /// - Parameter revocation: hard-fail against the real test-PKI OCSP responders when they run, else off.
    /// - Parameter port: the port to bind; 0 lets the system choose (then the OIDC issuer names port 0: give a port for OIDC flows).
    init(extra: [String] = [], port: Int = 0) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-serve-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pki = Rig.root.appendingPathComponent("Hardware/test-pki")
        let revocation = ProcessInfo.processInfo.environment["SLEUTEL_PKI_RESPONDERS"] == "1" ? "hard-fail" : "off"
        process.executableURL = Rig.binary
        process.arguments = ["serve", "--port", "\(port)", "--database", directory.appendingPathComponent("s.sqlite").path,
                             "--test", "--roots", pki.appendingPathComponent("rsa/root.crt").path,
                             "--roots", pki.appendingPathComponent("ec/root.crt").path, "--demo", "--revocation", revocation] + extra
        process.standardOutput = output
        // Standard error goes to a file the test can read (errorOutput); deinit keeps it with the suite's logs.
        FileManager.default.createFile(atPath: directory.appendingPathComponent("serve.err").path, contents: nil)
        process.standardError = try FileHandle(forWritingTo: directory.appendingPathComponent("serve.err"))
        try process.run()
        var buffer = ""
        let deadline = Date().addingTimeInterval(20)
        var found: Int?
        while found == nil, Date() < deadline, process.isRunning {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { usleep(20_000); continue }
            buffer += String(decoding: chunk, as: UTF8.self)
            if let range = buffer.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                found = Int(buffer[range].split(separator: ":").last ?? "")
            }
        }
        guard let found else { throw CocoaError(.fileReadUnknown, userInfo: [NSLocalizedDescriptionKey: "serve did not start: \(buffer)"]) }
        self.port = found
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// What the server wrote to standard error so far.
    var errorOutput: String { (try? String(contentsOf: directory.appendingPathComponent("serve.err"), encoding: .utf8)) ?? "" }

    /// One JSON request with URLSession (an HTTP client independent of the server).
    func request(_ method: String, _ path: String, json: [String: Any]? = nil, token: String? = nil) throws -> (Int, [String: Any]) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        if let json { request.httpBody = try JSONSerialization.data(withJSONObject: json) }
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let box = DataBox()
        let status = StatusBox()
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { data, response, _ in
            box.data = data ?? Data()
            status.value = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 30)
        return (status.value, (try? JSONSerialization.jsonObject(with: box.data)) as? [String: Any] ?? [:])
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        TestLogs.keep("serve", errorOutput)
        try? FileManager.default.removeItem(at: directory)
    }
}

final class StatusBox: @unchecked Sendable { var value = 0 }

@Suite("Virtual card → pcscd → sleutel login → sleutel serve", .serialized, .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct ServeAndLoginTests {
    @Test("login with the card's PIN gives a level-500 session with the demo organisations; a wrong PIN gives none")
    func login() throws {
        let server = try ServeProcess()
        let card = try CardProcess(profile: "specimen-1.8", slot: 0)
        defer { try? card.remove() }
        let wrong = try runProcess(Rig.binary, ["login", "--server", server.url, "--reader", Rig.readers[0], "--print-token"], stdin: "0000\n", timeout: 30)
        #expect(wrong.status != 0)
        #expect(!wrong.stdout.contains("0000") && !wrong.stderr.contains("0000"))
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
        let r = try runProcess(Rig.binary, ["login", "--server", server.url, "--reader", Rig.readers[0], "--print-token"], stdin: pin + "\n", timeout: 30)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("eidPin at level 500"))
        let token = String(r.stdout.split(separator: "\n").last ?? "")
        let (status, session) = try server.request("GET", "/v1/session", token: token)
        #expect(status == 200)
        #expect(session["level"] as? Int == 500)
        let (_, decision) = try server.request("POST", "/v1/session/organisation", json: ["application": "eloket"], token: token)
        #expect(decision["decision"] as? String == "chooseOrganisation")
        #expect((decision["organisations"] as? [String])?.sorted() == ["0441928931", "0566988259"])
        #expect(decision["organisationNames"] as? [String: String] == ["0441928931": "DEMO NV", "0566988259": "DEMO BV"])
        #expect(!r.stdout.contains(pin) && !r.stderr.contains(pin))
    }

    @Test("a kiosk session bound to the card ends when the card is pulled")
    func cardRemovalEndsSession() throws {
        let server = try ServeProcess(extra: ["--local-reader"])
        let card = try CardProcess(profile: "specimen-1.8", slot: 1)
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
        let r = try runProcess(Rig.binary, ["login", "--server", server.url, "--reader", Rig.readers[1], "--card-bound", "--print-token"],
                               stdin: pin + "\n", timeout: 30)
        #expect(r.status == 0, "stderr: \(r.stderr)")
        let token = String(r.stdout.split(separator: "\n").last ?? "")
        #expect(try server.request("GET", "/v1/session", token: token).0 == 200)
        try card.remove()
        var status = 200
        let deadline = Date().addingTimeInterval(5)
        while status == 200, Date() < deadline {
            usleep(100_000)
            status = try server.request("GET", "/v1/session", token: token).0
        }
        #expect(status == 401, "the session must end within seconds of the card leaving the reader")
        let (_, health) = try server.request("GET", "/health")
        #expect((health["reader"] as? [String: Any])?["pcscdRunning"] as? Bool == true)
    }

    @Test("a revoked card is refused by the server with the Trust rule (real OCSP responder)",
          .enabled(if: ProcessInfo.processInfo.environment["SLEUTEL_PKI_RESPONDERS"] == "1", "needs the test-PKI OCSP responders"))
    func revokedCard() throws {
        let server = try ServeProcess()
        let card = try CardProcess(profile: "revoked-1.7", slot: 0)
        defer { try? card.remove() }
        let pin = try #require(try profileJSON("revoked-1.7")["pin"] as? String)
        let r = try runProcess(Rig.binary, ["login", "--server", server.url, "--reader", Rig.readers[0]], stdin: pin + "\n", timeout: 30)
        #expect(r.status != 0)
        #expect(r.stderr.contains("session.certificateRefused"), "stderr: \(r.stderr)")
    }
}
