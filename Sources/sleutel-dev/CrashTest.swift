import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import OneTimeCodes
import Rights
import SleutelClient
import Storage
import Transport

/// `sleutel crash-test`: kill -9 safety of `sleutel serve` under a write load (issue 7).
///
/// Each round runs the real server binary on one SQLite file, drives concurrent writes through
/// its HTTP API (eID logins, organisation choices, logouts, TOTP enrolments with their
/// confirmation and disabling) plus rights grants through `sleutel rights grant` processes on
/// the same file, records every write acknowledged with a 2xx (or, for a grant, exit status 0),
/// kills the server (and the grant in flight) with SIGKILL at a random moment, runs SQLite's
/// integrity and foreign-key checks on the file, restarts the server on it and checks that
/// every write acknowledged so far is still there. Prints one JSON line per round and a summary.
struct CrashTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crash-test",
        abstract: "Kill -9 `sleutel serve` under a write load and check that no acknowledged write is lost.",
        discussion: """
            Needs no card rig: logins use the test PKI's keys (Hardware/test-pki/persons) to sign the \
            challenges, and the server runs with --test roots, --demo and --revocation off. Exits 1 when a \
            write is lost, the database fails its integrity check, or a round acknowledged no writes.
            """
    )

    @Option(help: "Rounds of load, kill -9 and restart.") var rounds = 3
    @Option(help: "Least seconds of write load before the kill.") var minSeconds: Double = 2
    @Option(help: "Most seconds of write load before the kill.") var maxSeconds: Double = 6
    @Option(help: "HTTP client threads.") var workers = 4
    @Flag(help: "No grant processes (HTTP writes only).") var noGrants = false
    @Option(help: "Test PKI directory.") var pki = "Hardware/test-pki"
    @Option(help: "Work directory for the database (default: a new temporary directory, removed at the end).")
    var directory: String?
    @Option(help: "Where the server's output and the grant processes' errors go (default: $SLEUTEL_LOG_DIR, else the work directory).")
    var logDir: String?
    @Option(help: "The sleutel binary to run as server and for grants (default: `sleutel` next to this program).") var binary: String?
    @Option(help: "Seed of the random kill moments and choices (default: random, printed).") var seed: UInt64?
    @Flag(help: "Self-check: before the last verification, end one acknowledged session and disable one acknowledged active key without recording it; the check must then report exactly 2 lost writes.")
    var simulateLoss = false

    func validate() throws {
        guard rounds >= 1, workers >= 1, minSeconds > 0, maxSeconds >= minSeconds else {
            throw ValidationError("need rounds >= 1, workers >= 1 and 0 < min-seconds <= max-seconds")
        }
    }

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let ownDirectory = directory == nil
        let work = directory ?? FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-crash-\(getpid())").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { if ownDirectory { try? FileManager.default.removeItem(atPath: work) } }
        let logs = logDir ?? environment["SLEUTEL_LOG_DIR"].map { $0 + "/crash-test-\(getpid())" } ?? work
        try FileManager.default.createDirectory(atPath: logs, withIntermediateDirectories: true)
        let seed = self.seed ?? UInt64.random(in: 1...UInt64(UInt32.max))
        var random = SeededRandom(seed: seed)
        let program = binary ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sleutel").path
        let people = try CrashPeople.load(pki: pki)
        let secrets = SecretsManifest(path: environment["SLEUTEL_SECRETS_FILE"])
        let ledger = CrashLedger()
        let server = CrashServer(binary: program, database: work + "/crash.sqlite", pki: pki, logs: logs)
        let grants = noGrants ? nil : GrantRunner(binary: program, database: server.database, logs: logs, secrets: secrets)
        defer { server.stop(signal: SIGTERM) }

        printLine(json(["event": "start", "seed": seed, "rounds": rounds, "workers": workers, "database": server.database,
                                 "logs": logs]))
        var failed = false
        var totalAcknowledged = 0, totalLost = 0, integrityFailures = 0
        for round in 1...rounds {
            let base = try server.start(round: round)
            let load = CrashLoad(base: base, people: people, ledger: ledger, secrets: secrets, workers: workers, seed: random.next(),
                                 grants: grants)
            let before = ledger.counts()
            load.start()
            let seconds = minSeconds + (maxSeconds - minSeconds) * Double(random.next() % 10_000) / 10_000
            Thread.sleep(forTimeInterval: seconds)
            let inFlight = load.inFlight
            server.kill()          // SIGKILL, mid-write
            let grantInFlight = load.grants?.killInFlight() ?? false
            load.stop()
            let acknowledged = ledger.counts().subtracting(before)

            let problems = try Self.integrity(of: server.database)
            let restarted = try server.start(round: round, restart: true)
            if simulateLoss && round == rounds { try load.simulateLoss(base: restarted) }
            let lost = try load.verify(base: restarted)
            server.stop(signal: SIGTERM)
            let afterStop = try Self.integrity(of: server.database)

            let acknowledgedCount = acknowledged.total, lostCount = lost.total
            totalAcknowledged += acknowledgedCount
            totalLost += lostCount
            if !(problems.isEmpty && afterStop.isEmpty) { integrityFailures += 1 }
            if lostCount > 0 || !problems.isEmpty || !afterStop.isEmpty || acknowledgedCount == 0 { failed = true }
            printLine(json([
                "event": "round", "round": round, "loadSeconds": (seconds * 100).rounded() / 100,
                "httpWritesInFlightAtKill": inFlight, "grantKilledInFlight": grantInFlight,
                "acknowledged": acknowledged.dictionary, "acknowledgedTotal": acknowledgedCount,
                "checked": ledger.counts().total, "lost": lost.dictionary, "lostTotal": lostCount,
                "integrity": problems.isEmpty && afterStop.isEmpty ? "ok" : "failed",
                "integrityProblems": Array((problems + afterStop).prefix(20)),
            ]))
        }
        printLine(json(["event": "summary", "seed": seed, "rounds": rounds, "acknowledged": totalAcknowledged,
                                 "lost": totalLost, "integrityFailures": integrityFailures, "passed": !failed]))
        if failed { throw ExitCode(1) }
    }

    /// `PRAGMA integrity_check` and `foreign_key_check` on the file, opened by this process.
    static func integrity(of path: String) throws -> [String] {
        let database = try Storage.Database.open(path: path, migrations: MigrationRegistry())
        return try database.integrityProblems()
    }

    func json(_ object: [String: Any]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
        return String(decoding: data, as: UTF8.self)
    }
}

// MARK: - The people who log in

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

// MARK: - What was acknowledged

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

// MARK: - The load

/// The worker threads driving the HTTP API, and the grant processes.
final class CrashLoad: @unchecked Sendable {
    let base: String
    let people: CrashPeople
    let ledger: CrashLedger
    let secrets: SecretsManifest
    let workers: Int
    let seed: UInt64
    let grants: GrantRunner?
    private let http = HTTPClient(configuration: .init(connectTimeout: 2, totalTimeout: 15))
    private let stopFlag = LatencyBox(count: 0)
    private let flightLock = NSLock()
    private var flying = 0

    /// HTTP writes sent and not yet answered.
    var inFlight: Int { flightLock.withLock { flying } }
    private let group = DispatchGroup()

    init(base: String, people: CrashPeople, ledger: CrashLedger, secrets: SecretsManifest, workers: Int, seed: UInt64, grants: GrantRunner?) {
        self.base = base
        self.people = people
        self.ledger = ledger
        self.secrets = secrets
        self.workers = workers
        self.seed = seed
        self.grants = grants
    }

    private var stopped: Bool { stopFlag.peek() > 0 }

    func start() {
        for worker in 0..<workers {
            group.enter()
            let thread = Thread { [self] in
                var random = SeededRandom(seed: seed &+ UInt64(worker) &* 0x9E37_79B9)
                while !stopped { iteration(&random) }
                group.leave()
            }
            thread.name = "crash-worker-\(worker)"
            thread.start()
        }
        if let grants {
            group.enter()
            let thread = Thread { [self] in
                while !stopped { grants.runOne(ledger: ledger) }
                group.leave()
            }
            thread.name = "crash-grants"
            thread.start()
        }
    }

    /// Stops the workers after the kill (their calls fail fast on the closed port).
    func stop() {
        _ = stopFlag.take()
        group.wait()
    }

    /// One login, then an organisation choice, a key enrolment (+ confirmation, + disabling)
    /// and/or a logout.
    private func iteration(_ random: inout SeededRandom) {
        let personIndex = Int(random.next() % UInt64(people.persons.count))
        guard let token = try? login(personIndex) else { return }
        let sessionIndex = ledger.addSession(person: personIndex, token: token)
        let person = people.persons[personIndex]
        if person.representative && random.next() % 2 == 0 {
            let organisation = DemoData.organisations[Int(random.next() % 2)].0
            ledger.updateSession(sessionIndex) { $0.organisationOutcome = .attempted; $0.organisation = organisation; return nil }
            guard (try? call("POST", "/v1/session/organisation", body: ["application": "eloket", "organisation": organisation],
                             token: token, expect: 200)) != nil else { return }
            ledger.updateSession(sessionIndex) { $0.organisationOutcome = .acknowledged; return "organisations" }
        }
        if random.next() % 3 == 0 {
            guard enrol(personIndex, token: token, random: &random) else { return }
        }
        if random.next() % 5 == 0 {
            ledger.updateSession(sessionIndex) { $0.logoutOutcome = .attempted; return nil }
            guard (try? call("DELETE", "/v1/session", token: token, expect: 204)) != nil else { return }
            ledger.updateSession(sessionIndex) { $0.logoutOutcome = .acknowledged; return "logouts" }
        }
    }

    /// eID challenge, the card key's signature, login: the session token.
    func login(_ personIndex: Int) throws -> String {
        let person = people.persons[personIndex]
        let signer = KeySigner(certificate: person.certificate, intermediates: person.intermediates, key: person.key)
        return try SleutelClient(server: base, http: http).login(application: "eloket", signer: signer).token
    }

    /// TOTP enrolment with the fresh eID session, its confirmation, sometimes its disabling.
    /// Returns false when a call went unanswered.
    private func enrol(_ personIndex: Int, token: String, random: inout SeededRandom) -> Bool {
        guard let reply = try? call("POST", "/v1/keys/totp", body: ["account": "crash-test"], token: token, expect: 201),
              let credential = reply["credentialId"] as? String, let secret = reply["secret"] as? String,
              let seed = Base32.decode(secret) else { return false }
        secrets.record("seed-base32", secret)
        secrets.record("seed-hex", Hex.encode(seed))
        let keyIndex = ledger.addKey(person: personIndex, credentialID: credential)
        let code = OTP.totp(secret: seed, date: Date())
        secrets.record("code", code)
        ledger.updateKey(keyIndex) { $0.confirmOutcome = .attempted; return nil }
        guard (try? call("POST", "/v1/keys/totp/confirm", body: ["credentialId": credential, "code": code], token: token, expect: 204)) != nil
        else { return false }
        ledger.updateKey(keyIndex) { $0.confirmOutcome = .acknowledged; return "confirmations" }
        if random.next() % 3 == 0 {
            ledger.updateKey(keyIndex) { $0.disableOutcome = .attempted; return nil }
            guard (try? call("DELETE", "/v1/keys/\(credential)", token: token, expect: 204)) != nil else { return false }
            ledger.updateKey(keyIndex) { $0.disableOutcome = .acknowledged; return "disables" }
        }
        return true
    }

    // MARK: checking after the restart

    /// Checks every acknowledged write against the restarted server; returns the lost ones by kind.
    /// Writes attempted without an answer settle to whatever the server now shows.
    func verify(base: String) throws -> CrashLedger.Counts {
        let checker = CrashLoad(base: base, people: people, ledger: ledger, secrets: secrets, workers: 0, seed: 0, grants: grants)
        var lost = CrashLedger.Counts()
        let (sessions, keys, grantIDs) = ledger.snapshot()
        for (index, entry) in sessions.enumerated() {
            let reply = try checker.probe("GET", "/v1/session", token: entry.token)
            switch (reply.status, entry.logoutOutcome) {
            case (401, .acknowledged): continue
            case (401, .attempted): ledger.updateSession(index) { $0.logoutOutcome = .acknowledged; return nil }  // it had committed
            case (200, .acknowledged): lost.add("logouts")
            case (200, _):
                if entry.logoutOutcome == .attempted { ledger.updateSession(index) { $0.logoutOutcome = .none; return nil } }
                let shown = reply.json["organisation"] as? String
                switch entry.organisationOutcome {
                case .acknowledged where shown != entry.organisation: lost.add("organisations")
                case .attempted where shown != nil && shown != entry.organisation: lost.add("organisations")
                case .attempted:
                    ledger.updateSession(index) { $0.organisationOutcome = shown == nil ? .none : .acknowledged; return nil }
                default: break
                }
            case (401, .none): lost.add("sessions")
            default: throw CrashTestError("GET /v1/session answered HTTP \(reply.status)")
            }
        }
        // Keys: one fresh session per person lists them.
        var states: [Int: [String: String]] = [:]
        for person in Set(keys.map(\.person)) {
            let token = try checker.login(person)
            let listed = try checker.call("GET", "/v1/keys", token: token, expect: 200)
            var map: [String: String] = [:]
            for key in listed["keys"] as? [[String: Any]] ?? [] {
                if let id = key["id"] as? String, let state = key["state"] as? String { map[id] = state }
            }
            states[person] = map
        }
        for (index, entry) in keys.enumerated() {
            guard let state = states[entry.person]?[entry.credentialID] else { lost.add("enrolments"); continue }
            let allowed: Set<String>
            switch (entry.confirmOutcome, entry.disableOutcome) {
            case (_, .acknowledged): allowed = ["disabled"]
            case (_, .attempted): allowed = ["active", "disabled"]
            case (.acknowledged, .none): allowed = ["active"]
            case (.attempted, .none): allowed = ["pending", "active"]
            case (.none, .none): allowed = ["pending"]
            }
            if !allowed.contains(state) {
                lost.add(entry.disableOutcome == .acknowledged ? "disables" : entry.confirmOutcome == .acknowledged ? "confirmations" : "enrolments")
            } else if allowed.count > 1 {
                ledger.updateKey(index) { key in
                    if state == "disabled" { key.disableOutcome = .acknowledged } else { key.disableOutcome = .none }
                    if state != "pending" { key.confirmOutcome = .acknowledged } else if key.confirmOutcome == .attempted { key.confirmOutcome = .none }
                    return nil
                }
            }
        }
        if let grants, !grantIDs.isEmpty {
            let present = try grants.grantIDs()
            lost.add("grants", grantIDs.filter { !present.contains($0) }.count)
        }
        return lost
    }

    /// The self-check of `--simulate-loss`: one acknowledged live session ended and one
    /// acknowledged active key disabled behind the ledger's back.
    func simulateLoss(base: String) throws {
        let checker = CrashLoad(base: base, people: people, ledger: ledger, secrets: secrets, workers: 0, seed: 0, grants: nil)
        let (sessions, keys, _) = ledger.snapshot()
        guard let session = sessions.first(where: { $0.logoutOutcome == .none && $0.organisationOutcome != .attempted }),
              let key = keys.first(where: { $0.confirmOutcome == .acknowledged && $0.disableOutcome == .none }) else {
            throw CrashTestError("simulate-loss: no acknowledged live session or active key to remove")
        }
        _ = try checker.call("DELETE", "/v1/session", token: session.token, expect: 204)
        let token = try checker.login(key.person)
        _ = try checker.call("DELETE", "/v1/keys/\(key.credentialID)", token: token, expect: 204)
    }

    // MARK: HTTP

    struct Reply {
        let status: Int
        let json: [String: Any]
    }

    func probe(_ method: String, _ path: String, body: [String: Any]? = nil, token: String? = nil) throws -> Reply {
        var headers = [HTTPHeader("Accept", "application/json")]
        var bytes: [UInt8]?
        if let body {
            bytes = Array(try JSONSerialization.data(withJSONObject: body))
            headers.append(HTTPHeader("Content-Type", "application/json"))
        }
        if let token { headers.append(HTTPHeader("Authorization", "Bearer \(token)")) }
        let write = method != "GET"
        if write { flightLock.withLock { flying += 1 } }
        defer { if write { flightLock.withLock { flying -= 1 } } }
        let reply = try http.send(HTTPRequest(method: method, url: base + path, headers: headers, body: bytes))
        let object = reply.body.isEmpty ? nil : try? JSONSerialization.jsonObject(with: Data(reply.body))
        return Reply(status: reply.status, json: object as? [String: Any] ?? [:])
    }

    /// A call that must answer `expect`; anything else throws (the write is not acknowledged).
    @discardableResult
    func call(_ method: String, _ path: String, body: [String: Any]? = nil, token: String? = nil, expect: Int) throws -> [String: Any] {
        let reply = try probe(method, path, body: body, token: token)
        guard reply.status == expect else {
            throw CrashTestError("\(method) \(path): HTTP \(reply.status) \(reply.json["error"].map { "\($0)" } ?? "")")
        }
        return reply.json
    }
}

// MARK: - Grants through the CLI

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
