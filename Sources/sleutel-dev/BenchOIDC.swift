import ArgumentParser
import CryptoCore
import Dispatch
import Foundation

/// `sleutel-dev bench-oidc`: complete OpenID Connect authorization-code flows per second against
/// a running server, with an existing session cookie, over keep-alive loopback connections.
struct BenchOIDC: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-oidc",
        abstract: "Measure complete OIDC authorization-code flows (authorize, token, userinfo) over keep-alive HTTP.",
        discussion: """
            Each flow: GET /oidc/authorize (PKCE S256, state, nonce, the session cookie) answered by a 302 to the \
            client's redirect URI with the code; POST /oidc/token (authorization_code, code_verifier) answered with \
            access_token and id_token; GET /oidc/userinfo with the access token. For every CONCURRENCY, that many \
            client threads, each on its own keep-alive connection, run flows back to back for SECONDS. Prints JSON: \
            flows/s, the latency of a whole flow and of each request (p50, p99), the client's own CPU and, with \
            --server-pid, the server's CPU per flow.
            """
    )

    @Option(help: "The running server, e.g. http://127.0.0.1:18183 (also its issuer).") var server: String
    @Option(help: "File holding the Sleutel session token sent as the sleutel_session cookie.") var sessionFile: String
    @Option(help: "The OIDC client id (a public client: PKCE, no secret).") var clientId = "bench"
    @Option(help: "The client's registered redirect URI.") var redirectUri = "http://127.0.0.1:9/cb"
    @Option(help: "Client connections to measure with, comma separated.") var concurrency = "1,2,4,8"
    @Option(help: "Seconds timed per concurrency.") var seconds = 10.0
    @Option(help: "Untimed flows before the first run (connections, caches, SQLite pages).") var warmup = 300
    @Option(help: "The server's process id: report its CPU seconds per flow from /proc.") var serverPid: Int32?

    func run() throws {
        guard let url = URLComponents(string: server), url.scheme == "http", let host = url.host, let port = url.port else {
            throw ValidationError("--server must be http://HOST:PORT")
        }
        let levels = concurrency.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }.filter { $0 > 0 }
        guard !levels.isEmpty else { throw ValidationError("--concurrency needs at least one positive number") }
        let token = try String(contentsOfFile: sessionFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let flow = OIDCFlow(host: host, port: port, sessionToken: token, clientID: clientId, redirectURI: redirectUri)

        // Warm up on one connection; a failure here is a set-up error worth its message.
        let warm = try KeepAliveConnection(host: host, port: port)
        for _ in 0..<warmup { _ = try flow.run(on: warm) }
        warm.close()

        var runs: [[String: Any]] = []
        var failed = 0
        for clients in levels {
            let run = try measure(flow: flow, clients: clients, host: host, port: port)
            failed += run["failures"] as? Int ?? 0
            runs.append(run)
        }
        let report: [String: Any] = ["runs": runs, "seconds_per_run": seconds, "warmup_flows": warmup, "client_id": clientId]
        print(String(decoding: try JSONSerialization.data(withJSONObject: report, options: [.sortedKeys]), as: UTF8.self))
        if failed > 0 { throw ExitCode(1) }
    }

    /// `clients` threads, one keep-alive connection each, running flows until the time is up.
    private func measure(flow: OIDCFlow, clients: Int, host: String, port: Int) throws -> [String: Any] {
        let connections = try (0..<clients).map { _ in try KeepAliveConnection(host: host, port: port) }
        let results = (0..<clients).map { _ in FlowTimes() }
        let group = DispatchGroup()
        let cpuBefore = Self.ownCPUSeconds(), serverBefore = serverPid.flatMap(Self.processCPUSeconds)
        let start = DispatchTime.now()
        let deadline = start.uptimeNanoseconds + UInt64(seconds * 1e9)
        for (connection, times) in zip(connections, results) {
            group.enter()
            Thread {
                defer { group.leave() }
                while DispatchTime.now().uptimeNanoseconds < deadline {
                    do {
                        times.add(try flow.run(on: connection))
                    } catch {
                        times.failures += 1
                        if times.firstError == nil { times.firstError = "\(error)" }
                        connection.reconnect()
                    }
                }
            }.start()
        }
        group.wait()
        let elapsed = BenchLogin.seconds(since: start)
        let cpu = Self.ownCPUSeconds() - cpuBefore
        for connection in connections { connection.close() }

        let all = FlowTimes()
        for times in results { all.merge(times) }
        var report: [String: Any] = [
            "concurrency": clients, "flows": all.flows.count, "failures": all.failures, "seconds": BenchLogin.round(elapsed),
            "flows_per_second": BenchLogin.round(Double(all.flows.count) / elapsed),
            "flow_p50_ms": Self.percentile(all.flows, 0.5), "flow_p99_ms": Self.percentile(all.flows, 0.99),
            "flow_max_ms": BenchLogin.round(all.flows.max() ?? 0),
            "authorize_p50_ms": Self.percentile(all.authorize, 0.5), "authorize_p99_ms": Self.percentile(all.authorize, 0.99),
            "token_p50_ms": Self.percentile(all.token, 0.5), "token_p99_ms": Self.percentile(all.token, 0.99),
            "userinfo_p50_ms": Self.percentile(all.userinfo, 0.5), "userinfo_p99_ms": Self.percentile(all.userinfo, 0.99),
            "client_cpu_percent": BenchLogin.round(cpu / elapsed * 100),
            "client_cpu_us_per_flow": BenchLogin.round(all.flows.isEmpty ? 0 : cpu / Double(all.flows.count) * 1e6),
        ]
        if let serverBefore, let serverAfter = serverPid.flatMap(Self.processCPUSeconds) {
            report["server_cpu_percent"] = BenchLogin.round((serverAfter - serverBefore) / elapsed * 100)
            report["server_cpu_us_per_flow"] = BenchLogin.round(all.flows.isEmpty ? 0 : (serverAfter - serverBefore) / Double(all.flows.count) * 1e6)
        }
        if let error = results.compactMap(\.firstError).first { report["first_error"] = error }
        return report
    }

    static func percentile(_ values: [Double], _ p: Double) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : BenchLogin.round(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))])
    }

    /// User and system CPU seconds of this process (all its threads).
    static func ownCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        func seconds(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return seconds(usage.ru_utime) + seconds(usage.ru_stime)
    }

    /// User and system CPU seconds of process `pid`, from /proc/PID/stat (fields 14 and 15).
    static func processCPUSeconds(_ pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // After "pid (comm)" the fields start at 3 (state); utime and stime are 14 and 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }
}

/// The latencies one client thread measured, in milliseconds.
final class FlowTimes: @unchecked Sendable {
    var flows: [Double] = [], authorize: [Double] = [], token: [Double] = [], userinfo: [Double] = []
    var failures = 0
    var firstError: String?

    func add(_ times: (authorize: Double, token: Double, userinfo: Double)) {
        authorize.append(times.authorize)
        token.append(times.token)
        userinfo.append(times.userinfo)
        flows.append(times.authorize + times.token + times.userinfo)
    }

    func merge(_ other: FlowTimes) {
        flows += other.flows
        authorize += other.authorize
        token += other.token
        userinfo += other.userinfo
        failures += other.failures
    }
}

/// One authorization-code flow of a public client with PKCE, checked as a relying party would
/// check the answers it needs (the code and state of the redirect, the tokens, the userinfo subject).
struct OIDCFlow: Sendable {
    struct Failure: Error, CustomStringConvertible { let description: String }

    let host: String
    let port: Int
    let sessionToken: String
    let clientID: String
    let redirectURI: String

    /// Runs one flow on `connection`; returns the milliseconds of its three requests.
    func run(on connection: KeepAliveConnection) throws -> (authorize: Double, token: Double, userinfo: Double) {
        let verifier = Base64URL.encode(SecureRandom.bytes(32))
        let challenge = Base64URL.encode(DigestAlgorithm.sha256.hash(Array(verifier.utf8)))
        let state = Base64URL.encode(SecureRandom.bytes(16)), nonce = Base64URL.encode(SecureRandom.bytes(16))
        let redirect = Self.formEncode(redirectURI)
        let query = "response_type=code&client_id=\(Self.formEncode(clientID))&redirect_uri=\(redirect)&scope=openid"
            + "&state=\(state)&nonce=\(nonce)&code_challenge=\(challenge)&code_challenge_method=S256"

        let t0 = DispatchTime.now().uptimeNanoseconds
        let authorized = try connection.send("GET", "/oidc/authorize?" + query, headers: [("Cookie", "sleutel_session=\(sessionToken)")])
        let t1 = DispatchTime.now().uptimeNanoseconds
        guard authorized.status == 302, let location = authorized.headers["location"], location.hasPrefix(redirectURI + "?") else {
            throw Failure(description: "authorize: HTTP \(authorized.status), location \(authorized.headers["location"] ?? "none")")
        }
        let parameters = Self.query(of: location)
        guard let code = parameters["code"], parameters["state"] == state else {
            throw Failure(description: "authorize: no code or another state in \(location.prefix(120))")
        }

        let form = "grant_type=authorization_code&code=\(Self.formEncode(code))&redirect_uri=\(redirect)"
            + "&client_id=\(Self.formEncode(clientID))&code_verifier=\(verifier)"
        let t2 = DispatchTime.now().uptimeNanoseconds
        let tokens = try connection.send("POST", "/oidc/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                                         body: Array(form.utf8))
        let t3 = DispatchTime.now().uptimeNanoseconds
        guard tokens.status == 200, let json = try? JSONSerialization.jsonObject(with: Data(tokens.body)) as? [String: Any],
              let accessToken = json["access_token"] as? String, let idToken = json["id_token"] as? String,
              idToken.split(separator: ".").count == 3 else {
            throw Failure(description: "token: HTTP \(tokens.status) \(String(decoding: tokens.body.prefix(200), as: UTF8.self))")
        }

        let t4 = DispatchTime.now().uptimeNanoseconds
        let info = try connection.send("GET", "/oidc/userinfo", headers: [("Authorization", "Bearer \(accessToken)")])
        let t5 = DispatchTime.now().uptimeNanoseconds
        guard info.status == 200, let claims = try? JSONSerialization.jsonObject(with: Data(info.body)) as? [String: Any], claims["sub"] is String else {
            throw Failure(description: "userinfo: HTTP \(info.status) \(String(decoding: info.body.prefix(200), as: UTF8.self))")
        }
        return (Double(t1 - t0) / 1e6, Double(t3 - t2) / 1e6, Double(t5 - t4) / 1e6)
    }

    /// `application/x-www-form-urlencoded` value (RFC 3986 unreserved characters kept).
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    static func query(of url: String) -> [String: String] {
        guard let mark = url.firstIndex(of: "?") else { return [:] }
        var result: [String: String] = [:]
        for pair in url[url.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]).removingPercentEncoding }
        }
        return result
    }
}

/// One persistent HTTP/1.1 connection to a loopback server (keep-alive, TCP_NODELAY): a request
/// written in one go, the answer read by its Content-Length or chunks. Transport's libcurl client
/// opens a new connection per request and returns no header fields, so this benchmark, which
/// needs both the `Location` of a 302 and connection reuse, has its own. Not thread-safe: one
/// connection per client thread.
final class KeepAliveConnection: @unchecked Sendable {
    struct Reply {
        let status: Int
        /// Header fields, names in lower case.
        let headers: [String: String]
        let body: [UInt8]
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    private let host: String
    private let port: Int
    private var fd: Int32 = -1
    private var buffer: [UInt8] = []
    private var chunk = [UInt8](repeating: 0, count: 65536)

    init(host: String, port: Int) throws {
        self.host = host
        self.port = port
        try connect()
    }

    deinit { close() }

    func close() {
        if fd >= 0 { Foundation.close(fd) }
        fd = -1
        buffer = []
    }

    /// Drops the connection and opens a new one (after an error; failures to connect show at the next send).
    func reconnect() {
        close()
        try? connect()
    }

    private func connect() throws {
        let socketFD = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socketFD >= 0 else { throw Failure(description: "socket: errno \(errno)") }
        var one: Int32 = 1
        setsockopt(socketFD, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var timeout = timeval(tv_sec: 30, tv_usec: 0)
        setsockopt(socketFD, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr(host == "localhost" ? "127.0.0.1" : host)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Foundation.connect(socketFD, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Foundation.close(socketFD)
            throw Failure(description: "connect to \(host):\(port): errno \(errno)")
        }
        fd = socketFD
    }

    /// Sends one request and reads its answer; reconnects first when the server closed the connection.
    func send(_ method: String, _ target: String, headers: [(String, String)], body: [UInt8]? = nil) throws -> Reply {
        if fd < 0 { try connect() }
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(host):\(port)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if let body { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        let bytes = Array(head.utf8) + (body ?? [])
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw Failure(description: "write: errno \(errno)") }
            sent += n
        }
        let reply = try readReply()
        if reply.headers["connection"]?.lowercased() == "close" { close() }
        return reply
    }

    private func fill() throws {
        let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n < 0 { throw Failure(description: "read: errno \(errno)") }
        if n == 0 { throw Failure(description: "the server closed the connection") }
        buffer += chunk[..<n]
    }

    /// The index just past the next CRLF at or after `from`, reading more as needed.
    private func line(from start: Int) throws -> Int {
        var i = start
        while true {
            while i + 1 < buffer.count {
                if buffer[i] == 13, buffer[i + 1] == 10 { return i + 2 }
                i += 1
            }
            try fill()
        }
    }

    private func readReply() throws -> Reply {
        // The header: lines up to an empty one.
        var lines: [String] = []
        var position = 0
        while true {
            let end = try line(from: position)
            if end - position == 2 { position = end; break }
            lines.append(String(decoding: buffer[position..<(end - 2)], as: UTF8.self))
            position = end
        }
        guard let statusLine = lines.first, let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") else {
            throw Failure(description: "no status line")
        }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body: [UInt8] = []
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            while true {
                let end = try line(from: position)
                let sizeText = String(decoding: buffer[position..<(end - 2)], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16) else { throw Failure(description: "bad chunk size") }
                position = end
                if size == 0 {
                    // Trailer fields, if any, up to the empty line.
                    var trailerEnd = try line(from: position)
                    while trailerEnd - position != 2 {
                        position = trailerEnd
                        trailerEnd = try line(from: position)
                    }
                    position = trailerEnd
                    break
                }
                while buffer.count < position + size + 2 { try fill() }
                body += buffer[position..<(position + size)]
                position += size + 2
            }
        } else {
            let length = Int(headers["content-length"] ?? "0") ?? 0
            while buffer.count < position + length { try fill() }
            body = Array(buffer[position..<(position + length)])
            position += length
        }
        buffer.removeFirst(position)
        return Reply(status: status, headers: headers, body: body)
    }
}
