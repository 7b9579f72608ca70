import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import OneTimeCodes
import Rights
import SleutelClient
import Storage
import Transport

/// `sleutel-dev crash-test`: kill -9 safety of `sleutel serve` under a write load (issue 7).
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
    @Flag(help: """
        Self-check: before the last verification, end one acknowledged session and disable one acknowledged active key \
        without recording it; the check must then report exactly 2 lost writes.
        """)
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
