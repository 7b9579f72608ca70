import Foundation
import Testing

/// Crash safety (issue 7): `sleutel crash-test` runs the real `sleutel serve` binary on a SQLite
/// file, drives eID logins, organisation choices, logouts, TOTP enrolments (confirm, disable) and
/// rights grants, kills the server with SIGKILL at a random moment, checks the file with
/// `PRAGMA integrity_check` / `foreign_key_check`, restarts the server and checks every
/// acknowledged write through the API. No card rig needed (the test PKI's keys sign).
@Suite("kill -9 of `sleutel serve` under a write load", .serialized)
struct CrashSafetyTests {
    struct Run {
        let status: Int32
        let rounds: [[String: Any]]
        let summary: [String: Any]
        let output: String
    }

    func crashTest(_ arguments: [String]) throws -> Run {
        let pki = Rig.root.appendingPathComponent("Hardware/test-pki").path
        let result = try runProcess(Rig.devBinary, ["crash-test", "--pki", pki] + arguments, timeout: 300)
        let lines = result.stdout.split(separator: "\n").compactMap { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any]
        }
        return Run(status: result.status, rounds: lines.filter { $0["event"] as? String == "round" },
                   summary: lines.first { $0["event"] as? String == "summary" } ?? [:],
                   output: result.stdout + result.stderr)
    }

    @Test("4 rounds of load, kill -9 and restart: 0 acknowledged writes lost, integrity and foreign keys clean")
    func killUnderLoad() throws {
        let run = try crashTest(["--rounds", "4", "--min-seconds", "1.5", "--max-seconds", "4", "--workers", "3"])
        #expect(run.status == 0, "\(run.output)")
        #expect(run.rounds.count == 4, "\(run.output)")
        #expect(run.summary["lost"] as? Int == 0, "\(run.output)")
        #expect(run.summary["integrityFailures"] as? Int == 0, "\(run.output)")
        var kinds: [String: Int] = [:]
        for round in run.rounds {
            #expect(round["integrity"] as? String == "ok", "\(round)")
            #expect(round["lostTotal"] as? Int == 0, "\(round)")
            #expect((round["acknowledgedTotal"] as? Int ?? 0) > 0, "\(round)")
            for (kind, count) in round["acknowledged"] as? [String: Int] ?? [:] { kinds[kind, default: 0] += count }
        }
        // Every kind of write was exercised over the run (the checks are not vacuous).
        for kind in ["sessions", "organisations", "logouts", "enrolments", "confirmations", "disables", "grants"] {
            #expect((kinds[kind] ?? 0) > 0, "no \(kind) acknowledged: \(run.output)")
        }
        let rounds = run.rounds.map { "round \($0["round"] ?? "?"): \($0["acknowledgedTotal"] ?? 0) acknowledged, \($0["lostTotal"] ?? 0) lost" }
        print("crash-test: \(rounds.joined(separator: "; "))")
    }

    @Test("the check notices writes that are gone: a session ended and a key disabled behind its back count as 2 lost")
    func checkerSeesLoss() throws {
        let run = try crashTest(["--rounds", "1", "--min-seconds", "2", "--max-seconds", "2.5", "--workers", "3", "--no-grants",
                                 "--simulate-loss"])
        #expect(run.status != 0, "\(run.output)")
        #expect(run.summary["lost"] as? Int == 2, "\(run.output)")
        #expect(run.rounds.first?["integrity"] as? String == "ok", "\(run.output)")
    }
}
