import Foundation
import Server
import SleutelTestSupport
import Testing

extension AttackSuite {
    /// Issue 19 item 2: behind a reverse proxy every request comes from the proxy's address. With
    /// `--trusted-proxy` the client named by the proxy is the one limited; a client cannot name
    /// someone else, and without a trusted proxy the headers change nothing.
    @Suite("Clients behind a trusted proxy")
    struct ProxyAttacks {
        static let attacker = "203.0.113.5", victim = "203.0.113.6"
        static let loopbackProxy = TrustedProxies([IPNetwork("127.0.0.1")!])

        /// The header a proxy in front of the server sends for `client` (this test plays the proxy).
        static func via(_ chain: String) -> [String: String] { ["X-Forwarded-For": chain] }

        /// Sends `count` requests to `/health` with `headers`; returns how many got 429.
        /// Sends `count` requests one after the other; returns how many were answered 429. The tests'
        /// limits refill one request in 5 s, so the count holds however slowly a loaded machine sends.
        static func flood(_ server: LoopbackServer, count: Int, headers: @Sendable (Int) -> [String: String]) async throws -> Int {
            var limited = 0
            for i in 0..<count where try await server.send("GET", "/health", headers: headers(i)).status == 429 { limited += 1 }
            return limited
        }

        @Test("one client's request flood and wrong passwords through the proxy do not block another client")
        func oneClientDoesNotBlockAll() async throws {
            let attempts = Attempts(.sharedProxyAddress)
            // The rate limit: the attacker floods past its burst; the victim is still served.
            let limitedServer = try await LoopbackServer(rateLimit: (0.2, 10), proxies: Self.loopbackProxy)
            #expect(try await Self.flood(limitedServer, count: 30) { _ in Self.via(Self.attacker) } > 0)
            let health = try await limitedServer.send("GET", "/health", headers: Self.via(Self.victim))
            attempts.record(accepted: health.status == 429, "the victim rate-limited by the attacker's flood")
            #expect(health.status == 200)

            // The per-address login limit: more wrong passwords (one per username, so that no account
            // lock stops them first) than one address may send in a minute.
            let server = try await LoopbackServer(proxies: Self.loopbackProxy)
            _ = try await PolicyAttacks.passwordSession(server)  // bert has a password (set up from 127.0.0.1 itself)
            for i in 0..<35 {
                let guess = try await server.send("POST", "/v1/code/login", json: ["application": "portaal", "username": "user\(i)", "password": "guess \(i)"],
                                                  headers: Self.via(Self.attacker))
                #expect(guess.status != 201)
            }
            let body: [String: Any] = ["application": "portaal", "username": "bert", "password": PolicyAttacks.password]
            let login = try await server.send("POST", "/v1/code/login", json: body, headers: Self.via(Self.victim))
            attempts.record(accepted: login.status != 201, "the victim's password login blocked by the attacker's guesses")
            #expect(login.status == 201, "\(login.status) \(login.json)")
            // The attacker's own address is the one held back.
            #expect(try await server.send("POST", "/v1/code/login", json: body, headers: Self.via(Self.attacker)).status != 201)
        }

        @Test("a client cannot escape its limit or frame another client with forged forwarding headers")
        func forgedHeaders() async throws {
            let attempts = Attempts(.forwardedSpoofing)
            // Behind the proxy: what the client wrote is left of what the proxy appended, and the
            // other header (the proxy writes X-Forwarded-For only) is the client's own.
            let server = try await LoopbackServer(rateLimit: (0.2, 10), proxies: Self.loopbackProxy)
            let forged = try await Self.flood(server, count: 30) { i in
                ["X-Forwarded-For": "198.51.100.\(i % 200 + 1), \(Self.victim), \(Self.attacker)", "Forwarded": "for=198.51.100.\(i % 200 + 1)"]
            }
            attempts.record(accepted: forged == 0, "a rotating forged address escaping the limit behind the proxy")
            #expect(forged >= 15)
            let victim = try await server.send("GET", "/health", headers: Self.via(Self.victim))
            attempts.record(accepted: victim.status == 429, "the victim framed by a forged header")
            #expect(victim.status == 200)

            // Without a trusted proxy the headers are ignored: a fresh forged address per request
            // does not reset the limit.
            for proxies in [TrustedProxies(), TrustedProxies([IPNetwork("10.0.0.0/8")!]),
                            TrustedProxies([IPNetwork("10.0.0.0/8")!], header: .forwarded)] {
                let direct = try await LoopbackServer(rateLimit: (0.2, 10), proxies: proxies)
                let limited = try await Self.flood(direct, count: 30) { i in
                    ["X-Forwarded-For": "198.51.100.\(i + 1)", "Forwarded": "for=198.51.100.\(i + 1)"]
                }
                attempts.record(accepted: limited == 0, "forged headers from a peer that is no trusted proxy")
                #expect(limited >= 15, "\(proxies.networks)")
            }
        }

        @Test("through a real nginx on loopback: clients from 127.0.0.2 and 127.0.0.3 are limited apart, forged headers change nothing")
        func throughNginx() async throws {
            guard FileManager.default.isExecutableFile(atPath: NginxProxy.binary) else {
                #expect(ProcessInfo.processInfo.environment["CI"] == nil, "nginx is missing: Tools/setup.sh installs nginx-light")
                return
            }
            let attempts = Attempts(.sharedProxyAddress)
            let server = try await LoopbackServer(rateLimit: (0.2, 5), proxies: Self.loopbackProxy)
            let nginx = try NginxProxy(upstreamPort: server.port)
            defer { nginx.stop() }
            // The attacker (127.0.0.2) floods and names the victim in a forged header; nginx appends the real peer.
            var limited = 0
            for _ in 0..<30 where try nginx.get("/health", from: "127.0.0.2", headers: ["X-Forwarded-For: 127.0.0.3", "Forwarded: for=127.0.0.3"]) == 429 {
                limited += 1
            }
            #expect(limited >= 10, "the attacker is limited on its own address")
            let victim = try nginx.get("/health", from: "127.0.0.3")
            attempts.record(accepted: victim == 429, "the victim behind nginx limited by another client's flood")
            #expect(victim == 200)
        }
    }
}

/// Debian's nginx as a reverse proxy on a free loopback port in front of `upstreamPort`: it connects
/// to the upstream from 127.0.0.1 and appends the client's address to `X-Forwarded-For`, the
/// configuration its documentation gives. Clients are `curl` processes bound to chosen loopback addresses.
final class NginxProxy: Sendable {
    static let binary = "/usr/sbin/nginx"
    let port: Int
    private let process: Process
    private let directory: URL

    init(upstreamPort: Int) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("sleutel-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let probe = try runTool("/usr/bin/python3", ["-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        guard let port = Int(String(decoding: probe.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw AttackSetupError("no free port")
        }
        self.port = port
        let d = directory.path
        let configuration = """
            daemon off; master_process off; worker_processes 1;
            pid \(d)/nginx.pid; error_log \(d)/error.log warn;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path \(d)/body; proxy_temp_path \(d)/proxy; fastcgi_temp_path \(d)/fastcgi;
                uwsgi_temp_path \(d)/uwsgi; scgi_temp_path \(d)/scgi;
                server {
                    listen 127.0.0.1:\(port);
                    location / {
                        proxy_pass http://127.0.0.1:\(upstreamPort);
                        proxy_bind 127.0.0.1;
                        proxy_set_header Host $host;
                        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
                    }
                }
            }
            """
        let file = directory.appendingPathComponent("nginx.conf")
        try configuration.write(to: file, atomically: true, encoding: .utf8)
        process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-p", d, "-c", file.path, "-e", "\(d)/error.log"]
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while (try? get("/health", from: "127.0.0.1")) == nil || (try? get("/health", from: "127.0.0.1")) == 502 {
            guard Date() < deadline, process.isRunning else {
                let log = (try? String(contentsOf: directory.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
                stop()
                throw AttackSetupError("nginx did not start: \(log)")
            }
            usleep(50_000)
        }
    }

    /// `GET path` through the proxy with curl bound to `source`; returns the status (nil: no answer).
    func get(_ path: String, from source: String, headers: [String] = []) throws -> Int? {
        let result = try runTool("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "--max-time", "5", "--interface", source]
                                 + headers.flatMap { ["-H", $0] } + ["http://127.0.0.1:\(port)\(path)"], quiet: true)
        let status = Int(String(decoding: result.output, as: UTF8.self)) ?? 0
        return status == 0 ? nil : status
    }

    /// Kills nginx (SIGKILL: a test process's children may inherit a blocked SIGTERM, and nginx
    /// without a master process keeps nothing that needs a clean stop).
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }
}
