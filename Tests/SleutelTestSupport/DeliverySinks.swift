import Foundation
import Testing

/// The loopback delivery servers started by `Tools/mail-servers.sh` (from `Tools/test.sh`), which
/// exports their ports and directories. Without those variables the tests that need them are skipped.
public enum DeliverySinks {
    public static var env: [String: String] { ProcessInfo.processInfo.environment }
    public static var smtpEnabled: Bool { env["SLEUTEL_SMTP_PORT"] != nil && env["SLEUTEL_MAIL_DIR"] != nil }
    public static var httpEnabled: Bool { env["SLEUTEL_HTTP_SINK_PORT"] != nil && env["SLEUTEL_HTTP_SINK_DIR"] != nil }

    public static var plainURL: String { "smtp://127.0.0.1:\(env["SLEUTEL_SMTP_PORT"] ?? "0")" }
    public static var startTLSURL: String { "smtp://127.0.0.1:\(env["SLEUTEL_SMTP_TLS_PORT"] ?? "0")" }
    public static var smtpsURL: String { "smtps://127.0.0.1:\(env["SLEUTEL_SMTPS_PORT"] ?? "0")" }
    public static var downPort: String { env["SLEUTEL_MAIL_DOWN_PORT"] ?? "8829" }
    public static var caFile: String? { env["SLEUTEL_SMTP_CA_FILE"] }
    public static var user: String { env["SLEUTEL_SMTP_USER"] ?? "sleutel-test" }
    public static var password: String { env["SLEUTEL_SMTP_PASSWORD"] ?? "" }
    public static var mailDir: URL { URL(fileURLWithPath: env["SLEUTEL_MAIL_DIR"] ?? "/nonexistent") }
    public static var httpBase: String { "http://127.0.0.1:\(env["SLEUTEL_HTTP_SINK_PORT"] ?? "0")" }
    public static var httpDir: URL { URL(fileURLWithPath: env["SLEUTEL_HTTP_SINK_DIR"] ?? "/nonexistent") }

    /// The package root (where Package.swift is).
    public static var root: URL {
        if let r = env["SLEUTEL_ROOT"] { return URL(fileURLWithPath: r) }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// A recipient address no other test uses.
    public static func uniqueAddress(_ prefix: String = "person") -> String {
        "\(prefix)-\(UUID().uuidString.prefix(8).lowercased())@example.test"
    }

    /// One message the SMTP sink stored.
    public struct StoredMail {
        public let meta: [String: Any]
        public let raw: [UInt8]
        public let file: URL
        public var tls: Bool { meta["tls"] as? Bool ?? false }
        public var auth: String? { meta["auth"] as? String }
        public var mailFrom: String? { meta["mail_from"] as? String }
        public var recipients: [String] { meta["rcpt_tos"] as? [String] ?? [] }
        public var mode: String? { meta["mode"] as? String }
    }

    /// The messages stored for `recipient` (waits up to `timeout` seconds for at least one when `wait`).
    public static func mails(to recipient: String, wait: Bool = true, timeout: TimeInterval = 5) throws -> [StoredMail] {
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
    public static func parse(_ mail: StoredMail) throws -> [String: Any] {
        let (status, data) = try runTool("/usr/bin/python3", [root.appendingPathComponent("Tools/mail/parse-mail.py").path, mail.file.path])
        #expect(status == 0)
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    /// One request the HTTP sink recorded.
    public struct StoredRequest {
        public let method: String
        public let path: String
        public let query: String
        public let headers: [(String, String)]
        public let body: [UInt8]
        public func header(_ name: String) -> String? { headers.first { $0.0.lowercased() == name.lowercased() }?.1 }
    }

    /// The requests recorded for `path` (waits up to `timeout` seconds for at least one when `wait`).
    public static func requests(path: String, wait: Bool = true, timeout: TimeInterval = 5) throws -> [StoredRequest] {
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
    public static var smtpSink: Self { .enabled(if: DeliverySinks.smtpEnabled, "needs the loopback SMTP sink (Tools/mail-servers.sh, SLEUTEL_SMTP_PORT)") }
    /// Runs only when Tools/test.sh started the HTTP sink.
    public static var httpSink: Self { .enabled(if: DeliverySinks.httpEnabled, "needs the loopback HTTP sink (Tools/mail-servers.sh, SLEUTEL_HTTP_SINK_PORT)") }
}
