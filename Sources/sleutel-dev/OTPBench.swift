import ArgumentParser
import Dispatch
import Foundation
import OneTimeCodes
import Storage

/// `sleutel-dev bench-otp`: library-level TOTP validation, the Sleutel side of Tools/bench-otp.sh.
struct OTPBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-otp",
        abstract: "Measure TOTP validation through OneTimeCodesService (the Sleutel side of Tools/bench-otp.sh).",
        discussion: """
            Enrols and confirms TOKENS TOTP credentials (SHA-1, 6 digits, 30 s, as the privacyIDEA peer) in a \
            SQLite file, then runs REQUESTS calls of verifyTOTP on CONCURRENCY threads, each with a valid code \
            and each (token, time step) once, so replay protection never refuses one. The service's clock is \
            simulated: it moves one step on each time every token has been used, which lets a fast run use \
            fresh steps without waiting 30 s per step. Every check is the full path: lock and rate checks, \
            seed decryption, HMAC over the window, the last-step update and the audit row, in one write \
            transaction. The last output line is JSON with --json.
            """
    )

    @Option(help: "verifyTOTP calls to time.") var requests = 1000
    @Option(help: "Threads calling verifyTOTP.") var concurrency = 4
    @Option(help: "Tokens (at least 4 × concurrency).") var tokens = 500
    @Option(help: "Database file (default: a temporary file, removed afterwards).") var database: String?
    @Flag(help: "Print the result as one JSON line.") var json = false

    func validate() throws {
        guard requests > 0, concurrency > 0, tokens > 0 else { throw ValidationError("requests, concurrency and tokens must be positive") }
    }

    func run() throws {
        let tokenCount = max(tokens, 4 * concurrency)
        let path = database ?? FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-otp-bench-\(getpid()).sqlite").path
        let keyPath = path + ".otp-keys"
        defer {
            if database == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } }
            try? FileManager.default.removeItem(atPath: keyPath)
        }
        try? FileManager.default.removeItem(atPath: keyPath)
        try SecretKeyring.generateKey(path: keyPath)
        let store = try Storage.Database.open(path: path, migrations: MigrationRegistry(OneTimeCodesSchema.migrations))

        // The simulated clock: step (start + round) where round advances as the requests go through the tokens.
        let period = 30.0
        let startStep = (Date().timeIntervalSince1970 / period).rounded(.down)
        let round = SimulatedRound()
        let clock: @Sendable () -> Date = { Date(timeIntervalSince1970: (startStep + 1 + Double(round.value)) * period + 1) }
        let service = OneTimeCodesService(database: store, keyring: try SecretKeyring.load(path: keyPath), clock: clock)

        var seeds: [[UInt8]] = []
        let enrolStart = DispatchTime.now()
        for i in 0..<tokenCount {
            let enrollment = try service.enrollTOTP(authority: ActivationAuthority(person: "bench-\(i)", fasLevel: 500, authenticatedAt: clock()),
                                                    account: "bench-\(i)")
            let seed = Base32.decode(enrollment.secret) ?? []
            try service.confirmTOTP(person: "bench-\(i)", credentialID: enrollment.credentialID, code: OTP.totp(secret: seed, date: clock()))
            seeds.append(seed)
        }
        let enrolSeconds = BenchLogin.seconds(since: enrolStart)

        // Codes for request k: token k % tokens at step startStep + 1 + k / tokens (computed before timing).
        let codes = (0..<requests).map { k in
            OTP.hotp(secret: seeds[k % tokenCount], counter: UInt64(startStep) + 1 + UInt64(k / tokenCount), digits: 6)
        }
        let run = BenchLogin.measure(count: requests, concurrency: concurrency) { k in
            round.advance(to: k / tokenCount)
            _ = try service.verifyTOTP(person: "bench-\(k % tokenCount)", code: codes[k], source: "bench")
        }
        let report = run.report
        let result: [String: Any] = [
            "requests": requests, "concurrency": concurrency, "tokens": tokenCount,
            "seconds": report["seconds"] ?? 0, "per_second": report["logins_per_second"] ?? 0,
            "p50_ms": report["p50_ms"] ?? 0, "p99_ms": report["p99_ms"] ?? 0, "max_ms": report["max_ms"] ?? 0,
            "accepted": requests - run.failures, "rejected": run.failures,
            "enrol_seconds": BenchLogin.round(enrolSeconds), "database": database == nil ? "temporary file" : path,
        ]
        if json {
            print(String(decoding: try JSONSerialization.data(withJSONObject: result, options: [.sortedKeys]), as: UTF8.self))
        } else {
            print("\(requests) TOTP checks on \(concurrency) threads over \(tokenCount) tokens: \(result["per_second"] ?? 0)/s, "
                  + "p50 \(result["p50_ms"] ?? 0) ms, p99 \(result["p99_ms"] ?? 0) ms, \(run.failures) rejected")
        }
        if run.failures > 0 { throw ExitCode(1) }
    }
}

/// The benchmark's simulated time: the round of requests over the tokens (-1 while enrolling).
private final class SimulatedRound: @unchecked Sendable {
    private let lock = NSLock()
    private var round = -1

    var value: Int { lock.withLock { round } }

    /// Moves forward to `next` (never back).
    func advance(to next: Int) { lock.withLock { round = max(round, next) } }
}
