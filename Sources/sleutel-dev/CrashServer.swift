import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import OneTimeCodes
import Rights
import SleutelClient
import Storage
import Transport

/// Test PKI persons whose authentication key signs the challenges.
struct CrashPeople: Sendable {
    struct Person: Sendable {
        let name: String
        let certificate: [UInt8]
        /// The tree's citizen and foreigner CAs (the server picks the issuer).
        let intermediates: [[UInt8]]
        let key: PrivateKey
        /// Whether the demo rights let this person choose a demo organisation.
        let representative: Bool
    }

    let persons: [Person]

    /// The representative of the demo companies (Bert Specimen, `DemoData.representative`).
    static let representativeCard = "specimen-1.8"
    static let names = ["specimen-1.8", "specimen-1.7", "german-1.8", "foreigner-1.7", "minor-1.8"]

    static func load(pki: String) throws -> CrashPeople {
        let base = URL(fileURLWithPath: pki)
        func text(_ path: String) throws -> String { try String(contentsOf: base.appendingPathComponent(path), encoding: .utf8) }
        let persons = try names.map { name -> Person in
            let leaf = try Certificate(pem: text("persons/\(name)/auth.crt"))
            let ec = try leaf.publicKey().kind.isEC
            let tree = ec ? "ec" : "rsa"
            let issuers = try ["citizen-ca", "foreigner-ca"].map { try Certificate(pem: text("\(tree)/\($0).crt")).derEncoded }
            return Person(name: name, certificate: leaf.derEncoded, intermediates: issuers,
                          key: try PrivateKey(pem: text("persons/\(name)/auth.key")),
                          representative: name == representativeCard)
        }
        return CrashPeople(persons: persons)
    }
}

// MARK: - The server process

/// `sleutel serve` as a child process on one database file, on a free loopback port.
final class CrashServer: @unchecked Sendable {
    let binary: String
    let database: String
    let pki: String
    let logs: String
    private var process: Process?

    init(binary: String, database: String, pki: String, logs: String) {
        self.binary = binary
        self.database = database
        self.pki = pki
        self.logs = logs
    }

    /// Starts the server and waits for `/health`; returns its base URL.
    func start(round: Int, restart: Bool = false) throws -> String {
        let name = "serve-round\(round)\(restart ? "-restart" : "")"
        let out = logs + "/\(name).out", err = logs + "/\(name).log"
        _ = FileManager.default.createFile(atPath: out, contents: nil)
        _ = FileManager.default.createFile(atPath: err, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--port", "0", "--database", database, "--otp-key-file", database + ".otp-keys",
                             "--test", "--roots", pki + "/rsa/root.crt", "--roots", pki + "/ec/root.crt", "--demo",
                             "--revocation", "off", "--rate-limit", "1000000"]
        var environment = ProcessInfo.processInfo.environment
        for name in ["SLEUTEL_DATABASE", "SLEUTEL_OTP_KEY_FILE", "SLEUTEL_OTP_EMAIL_CONFIG", "SLEUTEL_OTP_SMS_GATEWAY"] {
            environment.removeValue(forKey: name)
        }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: out))
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: err))
        process.standardInput = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            guard process.isRunning else { throw CrashTestError("the server stopped at start; see \(err)") }
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let port = text[range.upperBound...].prefix { $0.isNumber }
                let base = "http://127.0.0.1:\(port)"
                if let reply = try? HTTPClient(configuration: .init(connectTimeout: 1, totalTimeout: 3)).get(base + "/health"),
                   reply.status == 200 {
                    return base
                }
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        kill()
        throw CrashTestError("the server did not answer /health within 60 s; see \(err)")
    }

    /// SIGKILL: no shutdown code runs.
    func kill() {
        guard let process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Stops the server with `signal`, then SIGKILL after 10 s.
    func stop(signal: Int32) {
        guard let process else { return }
        if process.isRunning {
            Foundation.kill(process.processIdentifier, signal)
            let deadline = Date().addingTimeInterval(10)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        self.process = nil
    }
}

struct CrashTestError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
