import Foundation
import Testing

@Suite("schemathesis against the OpenAPI document", .serialized, .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct SchemathesisTests {
    static let tool = Rig.root.appendingPathComponent(".build-tools/venv/bin/schemathesis")

    @Test("generated requests, with and without a real session, never get a 5xx and every reply matches the document")
    func noServerErrors() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.tool.path) else {
            if Rig.required { Issue.record("schemathesis is missing (Tools/setup.sh installs it into .build-tools/venv)") }
            return
        }
        let server = try ServeProcess(extra: ["--rate-limit", "100000"])
        let card = try CardProcess(profile: "specimen-1.8", slot: 0)
        defer { try? card.remove() }
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
        let login = try runProcess(Rig.binary, ["login", "--server", server.url, "--reader", Rig.readers[0], "--print-token"],
                                   stdin: pin + "\n", timeout: 30)
        #expect(login.status == 0, "stderr: \(login.stderr)")
        let token = String(login.stdout.split(separator: "\n").last ?? "")
        // positive_data_acceptance is left out: a schema cannot say "a DER certificate the card made".
        let run = try runProcess(Self.tool, [
            "run", server.url + "/openapi.json", "--checks", "all", "--exclude-checks", "positive_data_acceptance",
            "--max-examples", "40", "--seed", "20261122", "--no-color", "-H", "Authorization: Bearer \(token)",
        ], timeout: 600)
        #expect(run.status == 0, "schemathesis:\n\(run.stdout.suffix(6000))\n\(run.stderr.suffix(2000))")
        #expect(!run.stdout.contains("Server error"), "a 5xx answer")
    }
}
