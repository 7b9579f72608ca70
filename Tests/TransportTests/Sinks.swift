import Foundation
import Testing
import Transport

/// The loopback delivery servers started by `Tools/mail-servers.sh` (from `Tools/test.sh`), which
/// exports their ports and directories. Without those variables the tests that need them are skipped.
enum Sinks {
    static var env: [String: String] { ProcessInfo.processInfo.environment }
    static var smtpEnabled: Bool { env["SLEUTEL_SMTP_PORT"] != nil && env["SLEUTEL_MAIL_DIR"] != nil }
    static var httpEnabled: Bool { env["SLEUTEL_HTTP_SINK_PORT"] != nil && env["SLEUTEL_HTTP_SINK_DIR"] != nil }

    static var plainURL: String { "smtp://127.0.0.1:\(env["SLEUTEL_SMTP_PORT"] ?? "0")" }
    static var startTLSURL: String { "smtp://127.0.0.1:\(env["SLEUTEL_SMTP_TLS_PORT"] ?? "0")" }
    static var smtpsURL: String { "smtps://127.0.0.1:\(env["SLEUTEL_SMTPS_PORT"] ?? "0")" }
    static var downPort: String { env["SLEUTEL_MAIL_DOWN_PORT"] ?? "8829" }
    static var caFile: String? { env["SLEUTEL_SMTP_CA_FILE"] }
    static var user: String { env["SLEUTEL_SMTP_USER"] ?? "sleutel-test" }
    static var password: String { env["SLEUTEL_SMTP_PASSWORD"] ?? "" }
    static var mailDir: URL { URL(fileURLWithPath: env["SLEUTEL_MAIL_DIR"] ?? "/nonexistent") }
    static var httpBase: String { "http://127.0.0.1:\(env["SLEUTEL_HTTP_SINK_PORT"] ?? "0")" }
    static var httpDir: URL { URL(fileURLWithPath: env["SLEUTEL_HTTP_SINK_DIR"] ?? "/nonexistent") }

    /// The package root (where Package.swift is).
    static var root: URL {
        if let r = env["SLEUTEL_ROOT"] { return URL(fileURLWithPath: r) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A recipient address no other test uses.
    static func uniqueAddress(_ prefix: String = "person") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())@example.test"
    }

    /// One message the SMTP sink stored.
    struct StoredMail {
        let meta: [String: Any]
        let raw: [UInt8]
        let file: URL
        var tls: Bool { meta["tls"] as? Bool ?? false }
        var auth: String? { meta["auth"] as? String }
        var mailFrom: String? { meta["mail_from"] as? String }
        var recipients: [String] { meta["rcpt_tos"] as? [String] ?? [] }
        var mode: String? { meta["mode"] as? String }
    }

    /// The messages stored for `recipient` (waits up to `timeout` seconds for at least one when `wait`).
    static func mails(to recipient: String, wait: Bool = true, timeout: TimeInterval = 5) throws -> [StoredMail] {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var found: [StoredMail] = []
            let files = (try? FileManager.default.contentsOfDirectory(at: mailDir, includingPropertiesForKeys: nil)) ?? []
            for file in files where file.pathExtension == "json" {
                guard let data = try? Data(contentsOf: file),
                      let meta = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      (meta["rcpt_tos"] as? [String] ?? []).contains(recipient),
                      let eml = meta["eml"] as? String else { continue }
                let emlFile = mailDir.appendingPathComponent(eml)
                found.append(StoredMail(meta: meta, raw: Array(try Data(contentsOf: emlFile)), file: emlFile))
            }
            if !found.isEmpty || !wait { return found }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        return []
    }

    /// What Python's `email` package reads from a stored message (Tools/mail/parse-mail.py).
    static func parse(_ mail: StoredMail) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [root.appendingPathComponent("Tools/mail/parse-mail.py").path, mail.file.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// One request the HTTP sink recorded.
    struct StoredRequest {
        let method: String
        let path: String
        let query: String
        let headers: [(String, String)]
        let body: [UInt8]
        func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The requests recorded for `path` (waits up to `timeout` seconds for at least one when `wait`).
    static func requests(path: String, wait: Bool = true, timeout: TimeInterval = 5) throws -> [StoredRequest] {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            var found: [StoredRequest] = []
            let files = (try? FileManager.default.contentsOfDirectory(at: httpDir, includingPropertiesForKeys: nil)) ?? []
            for file in files.sorted(by: { $0.path < $1.path }) where file.pathExtension == "json" {
                guard let data = try? Data(contentsOf: file),
                      let record = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      record["path"] as? String == path else { continue }
                let headers = (record["headers"] as? [[String]] ?? []).compactMap { $0.count == 2 ? ($0[0], $0[1]) : nil }
                let body = Data(base64Encoded: record["body_base64"] as? String ?? "") ?? Data()
                found.append(StoredRequest(
                    method: record["method"] as? String ?? "",
                    path: path,
                    query: record["query"] as? String ?? "",
                    headers: headers,
                    body: Array(body)
                ))
            }
            if !found.isEmpty || !wait { return found }
            Thread.sleep(forTimeInterval: 0.05)
        } while Date() < deadline
        return []
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs only when Tools/test.sh started the SMTP sink.
    static var smtpSink: Self { .enabled(if: Sinks.smtpEnabled, "needs the loopback SMTP sink (Tools/mail-servers.sh, SLEUTEL_SMTP_PORT)") }
    /// Runs only when Tools/test.sh started the HTTP sink.
    static var httpSink: Self { .enabled(if: Sinks.httpEnabled, "needs the loopback HTTP sink (Tools/mail-servers.sh, SLEUTEL_HTTP_SINK_PORT)") }
}

/// Runs `body`, expects a ``TransportError`` and returns it.
@discardableResult
func expectTransportError(_ body: () throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) -> TransportError? {
    do {
        try body()
        Issue.record("expected a TransportError, nothing was thrown", sourceLocation: sourceLocation)
        return nil
    } catch let error as TransportError {
        return error
    } catch {
        Issue.record("expected a TransportError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}
