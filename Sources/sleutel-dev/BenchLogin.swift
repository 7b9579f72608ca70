import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import Rights
import Sessions
import SleutelClient
import Storage
import Trust

/// `sleutel bench-login`: the server side of eID logins, measured in process.
struct BenchLogin: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-login",
        abstract: "Measure server-side eID logins: signature, chain, cached OCSP, key strength, session and rights.",
        discussion: """
            Prepares COUNT challenges and has the test card's key sign them (not timed: that is the card's \
            work), then completes the logins on CONCURRENCY threads against a SQLite file, each followed by \
            the organisation choice through Rights. Prints JSON with throughput and latency percentiles.
            """
    )

    @Option(help: "Logins to time.") var count = 5000
    @Option(help: "Threads completing logins.") var concurrency = 2
    @Option(help: "Test person folder under Hardware/test-pki/persons (specimen-1.8 is EC P-384).") var person = "specimen-1.8"
    @Option(help: "Test PKI directory.") var pki = "Hardware/test-pki"
    @Flag(help: "Check revocation against the certificates' OCSP responders (answers cached after the first).") var ocsp = false
    @Option(help: "Database file (default: a temporary file).") var database: String?
    @Flag(help: "Also time the parts of one login on one thread (signature, path, key strength).") var breakdown = false
    @Option(help: "Measure over HTTP against this running server (e.g. http://127.0.0.1:8080) instead of in process.")
    var server: String?
    @Option(help: ArgumentHelp("Distinct cards: a directory of <i>.crt/<i>.key pairs (Tools/bench/make-cards.sh); login i uses card i mod N.",
                               discussion: "With COUNT equal to N every login is the first of its card: nothing about it is cached."))
    var cards: String?

    func run() throws {
        let base = URL(fileURLWithPath: pki)
        let ec = try Certificate(pem: String(contentsOf: base.appendingPathComponent("persons/\(person)/auth.crt"), encoding: .utf8))
            .publicKey().kind.isEC
        let tree = ec ? "ec" : "rsa"
        func certificate(_ path: String) throws -> Certificate {
            try Certificate(pem: String(contentsOf: base.appendingPathComponent(path), encoding: .utf8))
        }
        let issuer = try certificate("\(tree)/citizen-ca.crt")
        // The cards that log in: the test person, or a directory of distinct cards.
        let deck: [(certificate: Certificate, key: PrivateKey)]
        if let cards {
            deck = try Self.loadCards(URL(fileURLWithPath: cards))
        } else {
            deck = [(try certificate("persons/\(person)/auth.crt"),
                     try PrivateKey(pem: String(contentsOf: base.appendingPathComponent("persons/\(person)/auth.key"), encoding: .utf8)))]
        }
        let leaf = deck[0].certificate, key = deck[0].key

        if let server {
            try runOverHTTP(server: server, leaf: leaf, issuer: issuer, key: key, ec: ec)
            return
        }
        let path = database ?? FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-bench-\(getpid()).sqlite").path
        defer { if database == nil { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }
        let store = try Storage.Database.open(path: path, migrations: MigrationRegistry(SessionsSchema.migrations, RightsSchema.migrations))
        let rights = RightsService(database: store)
        try DemoData.load(into: rights)
        let trust = try TrustConfiguration.test(roots: [certificate("rsa/root.crt"), certificate("ec/root.crt")])
        let verifier = EIDProofVerifier(trust: TrustService(configuration: trust, revocation: ocsp ? RevocationChecker() : nil))
        let sessions = SessionService(database: store, trust: verifier, rights: rights)

        // Challenges (timed: server work) and the card's signatures (not timed).
        let issueStart = DispatchTime.now()
        let challenges = try (0..<count).map { _ in try sessions.beginEIDLogin(application: "eloket") }
        let issueSeconds = Self.seconds(since: issueStart)
        let signatures = try challenges.enumerated().map { i, challenge in
            try deck[i % deck.count].key.sign(data: challenge.toBeSigned, algorithm: deck[i % deck.count].key.kind.challengeDigest)
        }
        if ocsp {  // the first answer is fetched; every later one comes from the cache
            let warm = try sessions.beginEIDLogin(application: "eloket")
            _ = try sessions.completeEIDLogin(transactionID: warm.transactionID,
                                              signature: key.sign(data: warm.toBeSigned, algorithm: key.kind.challengeDigest),
                                              certificate: leaf.derEncoded, intermediates: [issuer.derEncoded])
        }

        var parts: [String: Double] = [:]
        if breakdown {
            let n = 200
            func time(_ body: () throws -> Void) rethrows -> Double {
                let t0 = DispatchTime.now()
                for _ in 0..<n { try body() }
                return Self.round(Self.seconds(since: t0) * 1000 / Double(n))
            }
            let publicKey = try leaf.publicKey()
            parts["signature_ms"] = time {
                _ = publicKey.verify(signature: signatures[0], data: challenges[0].toBeSigned, algorithm: publicKey.kind.challengeDigest)
            }
            // A card's first login: its certificate's signature and its key's strength are judged;
            // later logins find both remembered (path_ms is then the rules on a known chain).
            parts["leaf_signature_ms"] = time { _ = leaf.isSignedBy(issuer) }
            let strength = KeyStrengthChecker()
            parts["key_strength_ms"] = try time { try strength.requireAcceptable(leaf) }
            let validator = PathValidator(configuration: trust)
            parts["path_known_card_ms"] = try time { _ = try validator.validate(leaf, kind: .authentication, intermediates: [issuer]) }
            parts["parse_ms"] = try time { _ = try Certificate(der: leaf.derEncoded); _ = try Certificate(der: issuer.derEncoded) }
            let probe = try sessions.beginEIDLogin(application: "eloket")
            let opened = try sessions.completeEIDLogin(transactionID: probe.transactionID,
                                                       signature: key.sign(data: probe.toBeSigned, algorithm: key.kind.challengeDigest),
                                                       certificate: leaf.derEncoded, intermediates: [issuer.derEncoded])
            parts["organisation_choice_ms"] = try time {
                _ = try sessions.chooseOrganisation(token: opened.token, application: "eloket", organisation: DemoData.organisations[0].0)
            }
        }

        let run = Self.measure(count: count, concurrency: concurrency) { index in
            let issued = try sessions.completeEIDLogin(transactionID: challenges[index].transactionID, signature: signatures[index],
                                                       certificate: deck[index % deck.count].certificate.derEncoded,
                                                       intermediates: [issuer.derEncoded])
            _ = try sessions.chooseOrganisation(token: issued.token, application: "eloket", organisation: DemoData.organisations[0].0)
        }
        var report = run.report
        report.merge(["person": cards == nil ? person : "\(deck.count) distinct cards", "key": ec ? "EC P-384" : "RSA-2048",
                      "ocsp": ocsp ? "cached" : "off",
                      "challenges_per_second": Self.round(Double(count) / issueSeconds)], uniquingKeysWith: { $1 })
        var full = report
        for (name, value) in parts { full[name] = value }
        let data = try JSONSerialization.data(withJSONObject: full, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
        if run.failures > 0 { throw ExitCode(1) }
    }

    /// The cards 0.crt/0.key, 1.crt/1.key, … of `folder` (Tools/bench/make-cards.sh).
    private static func loadCards(_ folder: URL) throws -> [(certificate: Certificate, key: PrivateKey)] {
        var deck: [(certificate: Certificate, key: PrivateKey)] = []
        while true {
            let crt = folder.appendingPathComponent("\(deck.count).crt"), pem = folder.appendingPathComponent("\(deck.count).key")
            guard FileManager.default.fileExists(atPath: crt.path) else { break }
            deck.append((try Certificate(pem: String(contentsOf: crt, encoding: .utf8)), try PrivateKey(pem: String(contentsOf: pem, encoding: .utf8))))
        }
        guard !deck.isEmpty else { throw ValidationError("no cards (0.crt, 0.key, …) in \(folder.path)") }
        return deck
    }

    /// Challenges over HTTP, the card's signatures locally (not timed), then the logins over HTTP
    /// on CONCURRENCY threads (each with the organisation choice), through libcurl.
    private func runOverHTTP(server: String, leaf: Certificate, issuer: Certificate, key: PrivateKey, ec: Bool) throws {
        let client = SleutelClient(server: server)
        let challenges = try (0..<count).map { _ in try client.challenge(application: "eloket", cardBinding: nil) }
        let signer = KeySigner(certificate: leaf.derEncoded, intermediates: [issuer.derEncoded], key: key)
        let signatures = try challenges.map { try signer.sign(Array($0.toBeSigned)) }
        let run = Self.measure(count: count, concurrency: concurrency) { index in
            let issued = try client.login(transactionID: challenges[index].transactionId, signature: signatures[index],
                                          certificate: leaf.derEncoded, intermediates: [issuer.derEncoded])
            _ = try client.chooseOrganisation(token: issued.token, application: "eloket", organisation: DemoData.organisations[0].0)
        }
        var report = run.report
        report.merge(["mode": "http", "person": person, "key": ec ? "EC P-384" : "RSA-2048"], uniquingKeysWith: { $1 })
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
        if run.failures > 0 { throw ExitCode(1) }
    }

    /// Runs `login(index)` for every index on `concurrency` threads, timing each.
    static func measure(count: Int, concurrency: Int, _ login: @escaping @Sendable (Int) throws -> Void) -> (report: [String: Any], failures: Int) {
        let latencies = LatencyBox(count: count)
        let failures = LatencyBox(count: 1)
        let next = LatencyBox(count: 1)
        let start = DispatchTime.now()
        DispatchQueue.concurrentPerform(iterations: concurrency) { _ in
            while true {
                let index = next.take()
                guard index < count else { return }
                let t0 = DispatchTime.now()
                do { try login(index) } catch { _ = failures.take() }
                latencies.set(index, Double(DispatchTime.now().uptimeNanoseconds - t0.uptimeNanoseconds) / 1e6)
            }
        }
        let seconds = Self.seconds(since: start)
        let sorted = latencies.values.sorted()
        func percentile(_ p: Double) -> Double { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))] }
        let report: [String: Any] = [
            "logins": count, "concurrency": concurrency, "failures": failures.peek(), "seconds": round(seconds),
            "logins_per_second": round(Double(count) / seconds), "p50_ms": round(percentile(0.5)),
            "p99_ms": round(percentile(0.99)), "max_ms": round(sorted.last ?? 0),
        ]
        return (report, failures.peek())
    }

    static func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }

    static func round(_ value: Double) -> Double { (value * 1000).rounded() / 1000 }
}

/// Shared counters and latency slots for the benchmark threads.
final class LatencyBox: @unchecked Sendable {
    private let lock = NSLock()
    private var counter = 0
    private(set) var values: [Double]

    init(count: Int) { values = [Double](repeating: 0, count: count) }

    func take() -> Int { lock.withLock { defer { counter += 1 }; return counter } }
    func peek() -> Int { lock.withLock { counter } }
    func set(_ index: Int, _ value: Double) { lock.withLock { values[index] = value } }
}
