import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import OneTimeCodes
import Rights
import SleutelClient
import Storage
import Transport

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
