import BelgianEID
import CryptoCore
import Foundation
import PCSC
import Synchronization
import Testing
import VirtualCard

/// One fault of the virtual card and what the product must make of it.
struct FaultCase: Sendable, CustomTestStringConvertible {
    /// The fault in `sleutel virtual-card run --fault` form.
    let fault: String
    let profile: String
    /// Where the card is meant to fail: while reading the card, or while signing after the PIN.
    let atSignature: Bool
    /// The error codes the product may report; one for every deterministic fault.
    let expected: Set<String>
    /// The step named in the error ("" when random garbage decides where parsing stops).
    let step: String

    var testDescription: String { fault }
}

/// Counts and reports the faults tried by this file (printed as they are tried).
enum FaultLog {
    static let tried = Mutex(0)

    static func record(_ fault: String, _ elapsed: Duration, _ error: String) {
        let n = tried.withLock { count -> Int in
            count += 1
            return count
        }
        let (s, a) = elapsed.components
        let ms = s * 1000 + a / 1_000_000_000_000_000
        print("fault-injection: #\(n) \(fault): detected after \(ms) ms as \(error)")
    }
}

/// Fault injection through the real pcscd + vpcd: a card that answers garbage, answers too
/// slowly, is pulled mid-read or mid-signature, and a pcscd restart. Every case must end in a
/// typed error within a bound, end the kiosk's card session, and leave the reader working for
/// the next card.
@Suite("Fault injection through the real pcscd", .serialized, .enabled(if: Rig.enabled, "needs the pcscd + vpcd rig (Tools/test.sh)"))
struct FaultInjectionTests {
    /// Card timeout used in these tests: short, so a hung card costs about a second.
    static let cardTimeout = Duration.seconds(1)
    /// A hung card answers this late, well beyond `cardTimeout`.
    static let hang = 4000
    /// Upper bound for detecting any fault (timeout + pcscd's removal poll + slack).
    static let bound = Duration.milliseconds(2500)

    static let cases: [FaultCase] = [
        FaultCase(fault: "garbage", profile: "specimen-1.7", atSignature: false,
                  expected: ["notBelgianEID", "invalidCardData", "transport", "statusWord"], step: "GET CARD DATA"),
        FaultCase(fault: "garbage=status", profile: "specimen-1.8", atSignature: false, expected: ["notBelgianEID"], step: "GET CARD DATA"),
        FaultCase(fault: "garbage=short@read", profile: "specimen-1.7", atSignature: false, expected: ["transport"], step: "reading the card files"),
        FaultCase(fault: "garbage=status@read", profile: "specimen-1.8", atSignature: false, expected: ["statusWord"], step: "READ BINARY"),
        FaultCase(fault: "garbage@read", profile: "specimen-1.8", atSignature: false,
                  expected: ["transport", "statusWord", "invalidLength", "truncatedTLV", "invalidCardData", "invalidTag", "invalidValue", "fileNotFound"],
                  step: ""),
        FaultCase(fault: "garbage@signature", profile: "specimen-1.8", atSignature: true,
                  expected: ["transport", "statusWord", "invalidSignatureFormat", "securityNotSatisfied"], step: ""),
        FaultCase(fault: "slow=\(hang)", profile: "specimen-1.7", atSignature: false, expected: ["timeout"], step: "GET CARD DATA"),
        FaultCase(fault: "slow=\(hang)@read", profile: "specimen-1.8", atSignature: false, expected: ["timeout"], step: "reading the card files"),
        FaultCase(fault: "slow=\(hang)@signature", profile: "specimen-1.7", atSignature: true, expected: ["timeout"], step: "signing the challenge"),
        FaultCase(fault: "pull-during-read", profile: "specimen-1.7", atSignature: false, expected: ["transport"], step: "reading the card files"),
        FaultCase(fault: "pull-during-signature", profile: "specimen-1.8", atSignature: true, expected: ["transport"], step: "signing the challenge"),
    ]

    @Test("a faulty card ends in a typed error within the bound; the next card in the same reader works", arguments: cases)
    func cardFault(_ c: FaultCase) throws {
        let fault = try CardFault(parsing: c.fault)
        let card = try InsertedCard(c.profile, fault: fault)
        let context = try PCSCContext(cardTimeout: Self.cardTimeout)
        let pin = try #require(try profileJSON(c.profile)["pin"] as? String)

        var caught: EIDError?
        var started = ContinuousClock.now
        do {
            let connection = try context.connect(reader: card.reader)
            defer { connection.disconnect(.reset) }
            let eid = try EIDCard(channel: connection)
            _ = try eid.readAll()
            #expect(c.atSignature, "the read succeeded although the card was faulty")
            try eid.verifyPIN(PIN(pin))
            started = .now
            _ = try eid.signChallenge(SecureRandom.bytes(32))
            Issue.record("the signature succeeded although the card was faulty")
        } catch let error as EIDError {
            caught = error
        }
        let elapsed = ContinuousClock.now - started
        let error = try #require(caught, "a typed EIDError")
        FaultLog.record(c.fault, elapsed, "EIDError.\(error.code)")
        #expect(c.expected.contains(error.code.description), "\(error)")
        #expect(c.step.isEmpty || error.reason.contains(c.step), "the error names the step: \(error)")
        #expect(elapsed < Self.bound, "detected in \(elapsed)")
        if error.code == .timeout {
            #expect(context.isBlocked, "the hung call is still stuck in pcscd")
            #expect(throws: PCSCError(status: .timeout, function: "")) { _ = try context.readers() }
        }

        // Pull the faulty card (a pulled one is already out); the reader must come back.
        let out = ContinuousClock.now
        try card.remove()
        #expect(ContinuousClock.now - out < .seconds(3))
        if error.code == .timeout {
            let deadline = ContinuousClock.now + .seconds(3)
            while context.isBlocked, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.02) }
            #expect(!context.isBlocked, "the stuck call returned once the card left")
        }

        // The next, good card in the same reader works, on the same context as well.
        let next = try InsertedCard("specimen-1.8")
        defer { try? next.remove() }
        let (connection, eid) = try next.open(context)
        defer { connection.disconnect(.reset) }
        #expect(try eid.readAll().verifyIntegrity().isValid)
        if c.atSignature {
            let nextPIN = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
            try eid.verifyPIN(PIN(nextPIN))
            let challenge = SecureRandom.bytes(32)
            let signature = try eid.signChallenge(challenge)
            let key = try Certificate(der: eid.read(.authenticationCertificate)).publicKey()
            #expect(signature.verify(challenge: challenge, with: key))
        }
    }

    @Test("a card with a garbage ATR: pcscd cannot connect, the CLI says it is not a Belgian eID; the next card works",
          arguments: ["garbage@atr", "garbage=short@atr"])
    func garbageATR(_ text: String) throws {
        let fault = try CardFault(parsing: text)
        let garbage = try #require(fault.garbageATR)
        let card = try CardProcess(profile: "specimen-1.8", slot: 0, fault: text)
        let context = try PCSCContext(cardTimeout: Self.cardTimeout)
        let state = try context.waitForCard(in: Rig.readers[0], present: true, timeoutMilliseconds: 5000)
        #expect(state.atr == garbage, "pcscd passes the card's ATR on as it is")
        #expect(!EIDCard.atrLooksLikeEID(state.atr))

        let started = ContinuousClock.now
        var caught: PCSCError?
        do {
            let connection = try context.connect(reader: Rig.readers[0])
            connection.disconnect(.reset)
        } catch let error as PCSCError {
            caught = error
        }
        let elapsed = ContinuousClock.now - started
        let error = try #require(caught, "pcscd connected to a card with the ATR \(garbage.hex)")
        FaultLog.record(text, elapsed, "PCSCError.\(error.status)")
        #expect(error.status == .protoMismatch, "\(error)")
        #expect(elapsed < Self.bound, "detected in \(elapsed)")

        let cli = try runProcess(Rig.binary, ["card", "read", "--reader", Rig.readers[0], "--json"], timeout: 30)
        #expect(cli.status != 0)
        #expect(cli.stderr.contains("not a Belgian eID") && cli.stderr.contains(garbage.hex), "\(cli.stderr)")
        #expect(cli.stdout.isEmpty, "nothing is printed as if read")

        try card.remove()
        let next = try InsertedCard("specimen-1.8", slot: 0)
        defer { try? next.remove() }
        let (connection, eid) = try next.open(context)
        defer { connection.disconnect(.reset) }
        #expect(try eid.readAll().verifyIntegrity().isValid, "the next card in the same reader works, on the same context")
    }

    @Test("the kiosk: each fault ends the card session with an error; the next card logs in")
    func kioskFaults() throws {
        let server = try ServeProcess()
        let kiosk = try KioskProcess(server: server, reader: Rig.readers[0], extra: ["--card-timeout", "1"])
        #expect(try kiosk.waitFor("waitingForCard")["phase"] as? String == "waitingForCard")
        let faults: [(fault: String, profile: String, atSignature: Bool, code: String)] = [
            ("garbage=status@read", "specimen-1.8", false, "statusWord"),
            ("garbage@atr", "specimen-1.8", false, "notBelgianEID"),
            ("slow=\(Self.hang)@read", "specimen-1.8", false, "timeout"),
            ("pull-during-read", "specimen-1.7", false, "transport"),
            ("slow=\(Self.hang)@signature", "specimen-1.7", true, "timeout"),
            ("pull-during-signature", "specimen-1.8", true, "transport"),
        ]
        var logins = 0
        for f in faults {
            let card = try CardProcess(profile: f.profile, slot: 0, fault: f.fault)
            let started: ContinuousClock.Instant
            let failed: [String: Any]
            if f.atSignature {
                #expect(try kiosk.waitFor("enterPIN")["phase"] as? String == "enterPIN")
                let pin = try #require(try profileJSON(f.profile)["pin"] as? String)
                started = .now
                failed = try kiosk.call("POST", "/pin", json: ["pin": pin])
            } else {
                // A card that left after failing brings the kiosk back to waitingForCard at once,
                // with the error kept on screen: wait for the error, whichever phase shows it.
                started = .now
                failed = try kiosk.waitUntil("an error") { $0["error"] is String }
            }
            let elapsed = ContinuousClock.now - started
            FaultLog.record("kiosk \(f.fault)", elapsed, "\(failed["error"] ?? "none")")
            #expect(["error", "waitingForCard"].contains(failed["phase"] as? String), "\(f.fault): \(failed["phase"] ?? "") \(failed["message"] ?? "")")
            #expect(failed["error"] as? String == f.code, "\(f.fault): \(failed["message"] ?? "")")
            #expect(failed["name"] == nil && failed["photo"] == nil, "nothing of the person stays on screen")
            #expect(elapsed < Self.bound + (f.atSignature ? .zero : .seconds(1)), "\(f.fault) detected in \(elapsed)")

            try card.remove()
            let waiting = try kiosk.waitFor("waitingForCard")
            #expect(waiting["phase"] as? String == "waitingForCard", "\(f.fault)")
            #expect(waiting["error"] as? String == f.code, "the error stays on the waiting screen until the next card")

            // The next card in the same reader logs in.
            let good = try CardProcess(profile: "specimen-1.8", slot: 0)
            #expect(try kiosk.waitFor("enterPIN")["phase"] as? String == "enterPIN", "after \(f.fault)")
            let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
            let next = try kiosk.call("POST", "/pin", json: ["pin": pin])
            #expect(next["phase"] as? String == "chooseOrganisation", "after \(f.fault): \(next["message"] ?? "")")
            logins += 1
            try good.remove()
            #expect(try kiosk.waitFor("waitingForCard")["phase"] as? String == "waitingForCard")
        }
        #expect(try liveAndTotalSessions(server) == "0 \(logins)", "no session of a faulty card; every session ended")
    }

    @Test("pcscd restarted: the kiosk ends the session, re-establishes PC/SC and the card logs in again",
          .enabled(if: getuid() == 0, "restarting pcscd needs root (as in CI)"))
    func pcscdRestart() throws {
        let server = try ServeProcess()
        let kiosk = try KioskProcess(server: server, reader: Rig.readers[0], extra: ["--card-timeout", "1"])
        // `sleutel virtual-card run` reconnects after a pcscd restart, like a card left in its reader.
        let card = try CardProcess(profile: "specimen-1.8", slot: 0)
        defer { try? card.remove() }
        #expect(try kiosk.waitFor("enterPIN")["phase"] as? String == "enterPIN")
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
        #expect(try kiosk.call("POST", "/pin", json: ["pin": pin])["phase"] as? String == "chooseOrganisation")
        #expect(try liveAndTotalSessions(server) == "1 1")

        // A context of this process too: it must fail clearly, and a new one must work.
        let old = try PCSCContext(cardTimeout: Self.cardTimeout)
        let restarted = ContinuousClock.now
        try Self.restartPcscd()
        var oldError: PCSCError?
        do { _ = try old.readers() } catch let error as PCSCError { oldError = error }
        #expect(oldError != nil, "a context of the old pcscd fails clearly")

        // The kiosk notices, ends the session at the server and comes back with the same card.
        let shown = try kiosk.waitFor("enterPIN", timeout: 15)
        let recovered = ContinuousClock.now - restarted
        FaultLog.record("pcscd restart (kiosk back at enterPIN)", recovered, "\(oldError.map { $0.status.name } ?? "none") on the old context")
        #expect(shown["phase"] as? String == "enterPIN")
        #expect(recovered < .seconds(8), "recovered in \(recovered)")
        #expect(try liveAndTotalSessions(server) == "0 1", "the card-bound session ended with pcscd")
        let again = try kiosk.call("POST", "/pin", json: ["pin": pin])
        #expect(again["phase"] as? String == "chooseOrganisation", "\(again["message"] ?? "")")
        #expect(try liveAndTotalSessions(server) == "1 2")

        let fresh = try PCSCContext()
        #expect(try fresh.readers().contains(Rig.readers[0]))
        try card.remove()
        #expect(try kiosk.waitFor("waitingForCard")["phase"] as? String == "waitingForCard")
        #expect(try liveAndTotalSessions(server) == "0 2")
    }

    @Test("pcscd restarted: `serve --local-reader` ends the sessions bound to its reader; the card logs in again",
          .enabled(if: getuid() == 0, "restarting pcscd needs root (as in CI)"))
    func pcscdRestartServerWatcher() throws {
        let server = try ServeProcess(extra: ["--local-reader"])
        let card = try CardProcess(profile: "specimen-1.8", slot: 1)
        defer { try? card.remove() }
        let pin = try #require(try profileJSON("specimen-1.8")["pin"] as? String)
        let login = { () throws -> String in
            let r = try runProcess(Rig.binary, ["login", "--server", server.url, "--reader", Rig.readers[1], "--card-bound", "--print-token"],
                                   stdin: pin + "\n", timeout: 30)
            #expect(r.status == 0, "stderr: \(r.stderr)")
            return String(r.stdout.split(separator: "\n").last ?? "")
        }
        let token = try login()
        #expect(try server.request("GET", "/v1/session", token: token).0 == 200)

        let restarted = ContinuousClock.now
        try Self.restartPcscd()
        var status = 200
        while status == 200, ContinuousClock.now - restarted < .seconds(6) {
            usleep(100_000)
            status = try server.request("GET", "/v1/session", token: token).0
        }
        let ended = ContinuousClock.now - restarted
        FaultLog.record("pcscd restart (serve --local-reader session ended)", ended, "HTTP \(status)")
        #expect(status == 401, "the server cannot see the reader while pcscd is gone: the card-bound session must end; serve stderr: \(server.errorOutput)")

        try Rig.waitFor(Rig.readers[1], present: true, timeoutMilliseconds: 5000)
        let again = try login()
        #expect(try server.request("GET", "/v1/session", token: again).0 == 200, "the card logs in again after the restart")
    }

    /// `Tools/rig.sh restart-pcscd`. Its output goes to a file, not a pipe: the new pcscd outlives
    /// the script and would keep a pipe open.
    static func restartPcscd() throws {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-restart-\(getpid()).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: log) }
        let output = try FileHandle(forWritingTo: log)
        defer { try? output.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [Rig.root.appendingPathComponent("Tools/rig.sh").path, "restart-pcscd"]
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        try #require(process.terminationStatus == 0, "rig.sh restart-pcscd: \(text)")
        print("fault-injection: rig.sh restart-pcscd: \(text.split(separator: "\n").joined(separator: " | "))")
    }

    /// "live total" session counts in the server's SQLite file.
    private func liveAndTotalSessions(_ server: ServeProcess) throws -> String {
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/python3"), ["-c", """
            import sqlite3, sys
            db = sqlite3.connect(sys.argv[1])
            print(db.execute("SELECT COUNT(*) FROM session WHERE ended_at IS NULL").fetchone()[0],
                  db.execute("SELECT COUNT(*) FROM session").fetchone()[0])
            """, server.directory.appendingPathComponent("s.sqlite").path], timeout: 20)
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

extension KioskProcess {
    /// Polls the state until `condition` holds (or the timeout).
    func waitUntil(_ what: String, timeout: TimeInterval = 10, _ condition: ([String: Any]) -> Bool) throws -> [String: Any] {
        let deadline = Date().addingTimeInterval(timeout)
        var state: [String: Any] = [:]
        while Date() < deadline {
            state = try call("GET", "/state")
            if condition(state) { return state }
            usleep(50_000)
        }
        Issue.record("kiosk did not show \(what); last state \(state["phase"] ?? "none"): \(state["message"] ?? "")")
        return state
    }
}
