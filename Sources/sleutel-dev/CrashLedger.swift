import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import OneTimeCodes
import Rights
import SleutelClient
import Storage
import Transport

/// Every acknowledged write, and the writes attempted without an answer (which may or may not
/// have committed: the checks accept both outcomes for those).
final class CrashLedger: @unchecked Sendable {
    enum Outcome { case none, attempted, acknowledged }

    struct SessionEntry {
        let person: Int
        let token: String
        var organisation: String?
        var organisationOutcome = Outcome.none
        var logoutOutcome = Outcome.none
    }

    struct KeyEntry {
        let person: Int
        let credentialID: String
        var confirmOutcome = Outcome.none
        var disableOutcome = Outcome.none
    }

    struct Counts {
        var values: [String: Int] = [:]
        static let kinds = ["sessions", "organisations", "logouts", "enrolments", "confirmations", "disables", "grants"]
        var total: Int { values.values.reduce(0, +) }
        var dictionary: [String: Int] { Dictionary(uniqueKeysWithValues: Self.kinds.map { ($0, values[$0] ?? 0) }) }
        func subtracting(_ other: Counts) -> Counts {
            Counts(values: Dictionary(uniqueKeysWithValues: Self.kinds.map { ($0, (values[$0] ?? 0) - (other.values[$0] ?? 0)) }))
        }
        mutating func add(_ kind: String, _ n: Int = 1) { values[kind, default: 0] += n }
    }

    private let lock = NSLock()
    private(set) var sessions: [SessionEntry] = []
    private(set) var keys: [KeyEntry] = []
    private(set) var grants: [Int64] = []
    private var tally = Counts()

    func addSession(person: Int, token: String) -> Int {
        lock.withLock {
            sessions.append(SessionEntry(person: person, token: token))
            tally.add("sessions")
            return sessions.count - 1
        }
    }

    func updateSession(_ index: Int, _ change: (inout SessionEntry) -> String?) {
        lock.withLock { if let kind = change(&sessions[index]) { tally.add(kind) } }
    }

    func addKey(person: Int, credentialID: String) -> Int {
        lock.withLock {
            keys.append(KeyEntry(person: person, credentialID: credentialID))
            tally.add("enrolments")
            return keys.count - 1
        }
    }

    func updateKey(_ index: Int, _ change: (inout KeyEntry) -> String?) {
        lock.withLock { if let kind = change(&keys[index]) { tally.add(kind) } }
    }

    func addGrant(_ id: Int64) { lock.withLock { grants.append(id); tally.add("grants") } }

    func snapshot() -> (sessions: [SessionEntry], keys: [KeyEntry], grants: [Int64]) { lock.withLock { (sessions, keys, grants) } }

    func counts() -> Counts { lock.withLock { tally } }
}

/// Appends the seeds and codes this run used to `$SLEUTEL_SECRETS_FILE` (one `kind<TAB>value`
/// line each), so the privacy check of the test suite (Tools/privacy-check.sh) can look for
/// them in every log. Nothing is written when the variable is unset.
final class SecretsManifest: @unchecked Sendable {
    private let handle: FileHandle?
    private let lock = NSLock()

    init(path: String?) {
        guard let path, !path.isEmpty else { handle = nil; return }
        if !FileManager.default.fileExists(atPath: path) {
            _ = FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600])
        }
        handle = FileHandle(forWritingAtPath: path)
        _ = try? handle?.seekToEnd()
    }

    func record(_ kind: String, _ value: String) {
        guard let handle else { return }
        lock.withLock { try? handle.write(contentsOf: Data("\(kind)\t\(value)\n".utf8)) }
    }
}
