import ArgumentParser
import CryptoCore
import Dispatch
import Foundation
import Rights
import SleutelClient
import Transport
import Trust

/// `sleutel-dev bench-load`: eID login latency against a running server, unloaded and while
/// floods of costly anonymous work (key checks, password logins) run at the server's limits.
struct BenchLoad: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-load",
        abstract: "Measure eID login latency over HTTP, unloaded and under floods of key checks and password logins.",
        discussion: """
            One person logs in with the test card COUNT times, one login after the other (challenge, the card's \
            signature in process, login, organisation choice), first on an idle server, then while FLOODERS \
            threads per flood send key checks of sixteen random RSA-4096 keys with the service key, the same \
            without it from random client addresses, and correct-password logins from random addresses. The \
            server must trust 127.0.0.1 as a proxy (--trusted-proxy 127.0.0.1/32) so that X-Forwarded-For \
            names those addresses. Prints JSON: both latency runs, the p99 ratio and each flood's answers.
            """
    )

    @Option(help: "The running server, e.g. http://127.0.0.1:18182.") var server: String
    @Option(help: "The server's service key (serve --validate-key-file).") var serviceKey: String
    @Option(help: "eID logins timed per run.") var count = 300
    @Option(help: "Client threads per flood.") var flooders = 6
    @Option(help: "Test person folder under Hardware/test-pki/persons (specimen-1.8 is EC P-384).") var person = "specimen-1.8"
    @Option(help: "Test PKI directory.") var pki = "Hardware/test-pki"

    static let username = "bench-load"
    static let password = "load benchmark password 1"

    func run() throws {
        let base = URL(fileURLWithPath: pki)
        func certificate(_ path: String) throws -> Certificate {
            try Certificate(pem: String(contentsOf: base.appendingPathComponent(path), encoding: .utf8))
        }
        let leaf = try certificate("persons/\(person)/auth.crt")
        let tree = try leaf.publicKey().kind.isEC ? "ec" : "rsa"
        let issuer = try certificate("\(tree)/citizen-ca.crt")
        let key = try PrivateKey(pem: String(contentsOf: base.appendingPathComponent("persons/\(person)/auth.key"), encoding: .utf8))
        let signer = KeySigner(certificate: leaf.derEncoded, intermediates: [issuer.derEncoded], key: key)
        let client = SleutelClient(server: server)
        let http = HTTPClient(configuration: .init(connectTimeout: 3, totalTimeout: 60))

        // The password the flood logs in with, set by the card's person.
        let opened = try client.login(application: "eloket", signer: signer)
        let set = try http.send(HTTPRequest(method: "PUT", url: server + "/v1/keys/password",
                                            headers: [HTTPHeader("Content-Type", "application/json"), HTTPHeader("Authorization", "Bearer \(opened.token)")],
                                            body: Self.json(["username": Self.username, "password": Self.password])))
        guard set.status == 204 else { throw ValidationError("setting the flood's password: HTTP \(set.status) \(String(decoding: set.body, as: UTF8.self))") }

        let login: @Sendable (Int) throws -> Void = { _ in
            let issued = try client.login(application: "eloket", signer: signer)
            _ = try client.chooseOrganisation(token: issued.token, application: "eloket", organisation: DemoData.organisations[0].0)
        }
        for index in 0..<20 { try login(index) }  // warm: OCSP answer cached, connections and caches set up
        let unloaded = BenchLogin.measure(count: count, concurrency: 1, login)

        let floods = [Flood(name: "key checks, service key", server: server, serviceKey: serviceKey, kind: .keysWithServiceKey),
                      Flood(name: "key checks, random addresses", server: server, serviceKey: serviceKey, kind: .keysAnonymous),
                      Flood(name: "password logins, random addresses", server: server, serviceKey: serviceKey, kind: .passwords)]
        let stop = Locked(false)
        let group = DispatchGroup()
        for flood in floods {
            for _ in 0..<flooders {
                group.enter()
                Thread {
                    flood.run(until: stop)
                    group.leave()
                }.start()
            }
        }
        Thread.sleep(forTimeInterval: 2)  // the floods fill the server's pools
        let before = floods.map { $0.answers() }
        let floodStart = DispatchTime.now()
        let loaded = BenchLogin.measure(count: count, concurrency: 1, login)
        let floodSeconds = BenchLogin.seconds(since: floodStart)
        let during = zip(floods, before).map { flood, before in flood.answers().merging(before) { $0 - $1 } }
        stop.withLock { $0 = true }
        group.wait()

        let unloadedP99 = unloaded.report["p99_ms"] as? Double ?? 0, loadedP99 = loaded.report["p99_ms"] as? Double ?? 0
        var report: [String: Any] = [
            "unloaded": unloaded.report, "flooded": loaded.report,
            "p99_ratio": BenchLogin.round(unloadedP99 > 0 ? loadedP99 / unloadedP99 : 0),
            "flooders_per_flood": flooders,
        ]
        // Answers while the flooded logins were timed (not the fill before, nor the wind-down after).
        report["floods"] = zip(floods, during).map { flood, answers in
            ["flood": flood.name, "answers_per_second": answers.mapValues { BenchLogin.round(Double($0) / floodSeconds) }] as [String: Any]
        }
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
        if unloaded.failures + loaded.failures > 0 { throw ExitCode(1) }
    }

    static func json(_ object: [String: String]) -> [UInt8] {
        Array((try? JSONSerialization.data(withJSONObject: object)) ?? Data())
    }
}

/// One flood: a client thread's loop of costly requests, counting the answers by HTTP status.
/// After a 503 or 429 it waits 20 ms, so that the floods keep the server's pools full without
/// turning into a loopback request-rate test.
final class Flood: Sendable {
    enum Kind { case keysWithServiceKey, keysAnonymous, passwords }

    let name: String
    private let server: String
    private let serviceKey: String
    private let kind: Kind
    private let counts = Locked<[String: Int]>([:])
    private let http = HTTPClient(configuration: .init(connectTimeout: 3, totalTimeout: 60))
    /// Bodies of sixteen random RSA-4096 moduli each, made once, so that the clients (on the same
    /// cores as the server) spend little; the server remembers no key verdicts between requests.
    private let keyBodies: [[UInt8]]

    init(name: String, server: String, serviceKey: String, kind: Kind) {
        self.name = name
        self.server = server
        self.serviceKey = serviceKey
        self.kind = kind
        keyBodies = kind == .passwords ? [] : (0..<32).map { _ in
            BenchLoad.json(["pem": (0..<16).map { _ in Self.sshRSA(bits: 4096) }.joined(separator: "\n")])
        }
    }

    func answers() -> [String: Int] { counts.withLock { $0 } }

    func run(until stop: Locked<Bool>) {
        while !stop.withLock({ $0 }) {
            var headers = [HTTPHeader("Content-Type", "application/json")]
            let address = "10.\(UInt8.random(in: 0...255)).\(UInt8.random(in: 0...255)).\(UInt8.random(in: 1...254))"
            let request: HTTPRequest
            switch kind {
            case .keysWithServiceKey, .keysAnonymous:
                if kind == .keysWithServiceKey { headers.append(HTTPHeader("Authorization", "Bearer \(serviceKey)")) } else {
                    headers.append(HTTPHeader("X-Forwarded-For", address))
                }
                request = HTTPRequest(method: "POST", url: server + "/v1/keys/check", headers: headers, body: keyBodies.randomElement())
            case .passwords:
                headers.append(HTTPHeader("X-Forwarded-For", address))
                request = HTTPRequest(method: "POST", url: server + "/v1/code/login", headers: headers,
                                      body: BenchLoad.json(["application": "eloket", "username": BenchLoad.username, "password": BenchLoad.password]))
            }
            let status = (try? http.send(request).status).map(String.init) ?? "transport error"
            counts.withLock { $0[status, default: 0] += 1 }
            if status == "503" || status == "429" || status == "transport error" { Thread.sleep(forTimeInterval: 0.02) }
        }
    }

    /// An `ssh-rsa` line for a random odd modulus of `bits` bits, as costly to judge as a real key.
    static func sshRSA(bits: Int) -> String {
        func string(_ bytes: [UInt8]) -> [UInt8] { withUnsafeBytes(of: UInt32(bytes.count).bigEndian, Array.init) + bytes }
        func mpint(_ n: BigNum) -> [UInt8] { string([0] + n.bigEndianBytes) }
        let modulus = (try? BigNum.random(bits: bits, odd: true)) ?? BigNum(65537)
        return "ssh-rsa " + Data(string(Array("ssh-rsa".utf8)) + mpint(BigNum(65537)) + mpint(modulus)).base64EncodedString()
    }
}

/// A value behind a lock, for the benchmark threads.
final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&value) } }
}
