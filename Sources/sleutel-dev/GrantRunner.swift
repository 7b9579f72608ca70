import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import OneTimeCodes
import Rights
import SleutelClient
import Storage
import Transport

/// `sleutel rights grant` processes on the server's database file: the demo representative
/// grants `eloket/ondernemer` at DEMO NV to a new synthetic person each time (with a werkrelatie).
final class GrantRunner: @unchecked Sendable {
    let binary: String
    let database: String
    private let errors: FileHandle?
    private let lock = NSLock()
    private var inFlight: Process?
    private var serial = 0
    private let firstDay: Int

    private let secrets: SecretsManifest

    init(binary: String, database: String, logs: String, secrets: SecretsManifest) {
        self.binary = binary
        self.database = database
        self.secrets = secrets
        let path = logs + "/grants.log"
        if !FileManager.default.fileExists(atPath: path) { _ = FileManager.default.createFile(atPath: path, contents: nil) }
        errors = FileHandle(forWritingAtPath: path)
        _ = try? errors?.seekToEnd()
        firstDay = Int.random(in: 0..<(40 * 12 * 28))
    }

    /// A valid national register number (birth date 1950–1989, pre-2000 checksum) not used
    /// before in this run: 997 serials per birth date, then the next date.
    private func nextPerson() -> String {
        lock.withLock {
            let day = (firstDay + serial / 997) % (40 * 12 * 28)
            let date = (50 + day / (12 * 28)) * 10_000 + (day / 28 % 12 + 1) * 100 + day % 28 + 1
            let base = date * 1000 + serial % 997 + 1
            serial += 1
            let number = String(format: "%09d%02d", base, 97 - base % 97)
            secrets.record("nrn", number)
            return number
        }
    }

    /// Runs one grant; records it when the process exits 0 with "grant ID".
    func runOne(ledger: CrashLedger) {
        let person = nextPerson()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["rights", "grant", "--database", database, "--as", DemoData.representative, "--level", "500",
                             "--person", person, "--organisation", DemoData.organisations[0].0, "--application", "eloket",
                             "--right", "ondernemer", "--from", "2020-01-01", "--until", "2099-12-31", "--with-work-relation",
                             "--phone", "+3212345678", "--email", "crash-test@example.be"]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = errors ?? FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        lock.withLock { inFlight = process }
        do { try process.run() } catch { lock.withLock { inFlight = nil }; return }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        lock.withLock { inFlight = nil }
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationReason == .exit, process.terminationStatus == 0, text.hasPrefix("grant "),
              let id = Int64(text.dropFirst(6).prefix { $0.isNumber }) else { return }
        ledger.addGrant(id)
    }

    /// SIGKILL to the grant process in flight (killed with the server); whether there was one.
    @discardableResult
    func killInFlight() -> Bool {
        lock.withLock {
            guard let process = inFlight, process.isRunning else { return false }
            kill(process.processIdentifier, SIGKILL)
            return true
        }
    }

    /// The ids of the grants the demo representative made, from `sleutel rights export`.
    func grantIDs() throws -> Set<Int64> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["rights", "export", "--person", DemoData.representative, "--database", database]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let object = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let records = object["records"] as? [String: Any], let rows = records["rightGrant"] as? [[String: Any]] else {
            throw CrashTestError("sleutel rights export failed (status \(process.terminationStatus))")
        }
        return Set(rows.compactMap { ($0["id"] as? NSNumber)?.int64Value })
    }
}

/// One line on standard output, written at once (the crash test's JSON events).
func printLine(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }
