import CardBinding
import CryptoCore
import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import OIDC
import Rights
import ServiceLifecycle
import Sessions
import Storage
import Trust

/// How the server listens and limits clients.
public struct ServerConfiguration: Sendable {
    /// Address to bind (default loopback).
    public var host: String = "127.0.0.1"
    /// Port to bind; 0 picks a free port (reported through `onRunning`).
    public var port: Int = 8443
    /// Requests per second per client address, and the burst allowed.
    public var rateLimitPerSecond: Double = 50
    public var rateLimitBurst: Double = 100
    /// Reverse proxies whose forwarding header names the client (default none: the peer is the client).
    public var trustedProxies = TrustedProxies()
    /// Key-check cost units (one unit ≈ one RSA-2048 key, RSA growing with the cube of its size)
    /// one `POST /v1/keys/check` may spend, and one client address per minute, without the
    /// service key. Callers presenting the service key (``validateKeySHA256``) are not budgeted.
    public var keyCheckCostPerRequest: Double = 128
    public var keyCheckCostPerMinute: Double = 256
    /// Password checks (scrypt, 32 MiB and ~0.1 s of a core each) run at once on threads of their
    /// own, and more that may wait for one; beyond both a password login or change is answered 503
    /// `request.busy` at once (default one a core, two a core waiting).
    public var passwordCheckThreads: Int = ProcessInfo.processInfo.activeProcessorCount
    public var passwordCheckBacklog: Int = 2 * ProcessInfo.processInfo.activeProcessorCount
    /// Largest accepted request body in bytes.
    public var maxBodySize: Int = 64 << 10
    /// The card agent the login page asks to sign with the eID card (`sleutel agent`, `sleutel kiosk`), on loopback.
    public var cardAgentURL = "http://127.0.0.1:24680"
    /// SHA-256 of the bearer key services present to `POST /v1/otp/validate`; nil disables the endpoint.
    public var validateKeySHA256: [UInt8]?
    /// Seconds between purges of expired transactions, sessions, codes and tokens (0: never).
    public var housekeepingInterval: TimeInterval = 60
    /// Seconds an ended or expired session is kept before the purge deletes it (default a day).
    public var sessionRetention: TimeInterval = 86_400

    public init() {}
}

/// The Sleutel HTTP API on Hummingbird: eID challenge-response login, sessions, organisation
/// choice, rights, profile and key-strength checks, with JSON errors carrying stable codes,
/// per-address rate limits, a health endpoint and the OpenAPI document at `/openapi.json`.
public struct SleutelServer: Sendable {
    public let configuration: ServerConfiguration
    public let sessions: SessionService
    public let rights: RightsService?
    public let keyStrength: KeyStrengthChecker
    /// Reports the local reader state for `/health`; nil when no local reader is used.
    public let readerHealth: (@Sendable () -> ReaderHealth)?
    /// The OpenID Connect provider; nil to serve the API without OIDC.
    public let oidc: OIDCProvider?
    /// Services that run in the server's service group and stop with it (e.g. the card-removal watcher).
    public let services: [any Service]

    public init(configuration: ServerConfiguration, sessions: SessionService, rights: RightsService?,
                keyStrength: KeyStrengthChecker = KeyStrengthChecker(), oidc: OIDCProvider? = nil,
                readerHealth: (@Sendable () -> ReaderHealth)? = nil, services: [any Service] = []) {
        self.configuration = configuration
        self.sessions = sessions
        self.rights = rights
        self.keyStrength = keyStrength
        self.oidc = oidc
        self.readerHealth = readerHealth
        self.services = services
    }

    /// Builds the Hummingbird application.
    /// - Parameter onRunning: called with the bound port once the server listens.
    public func application(logger: Logger? = nil, onRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let router = Router(context: ServerContext.self)
        ServerMetrics.bootstrap()
        router.add(middleware: UnmatchedRouteMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: ClientAddressMiddleware(proxies: configuration.trustedProxies))
        router.add(middleware: RateLimitMiddleware(limiter: RateLimiter(perSecond: configuration.rateLimitPerSecond,
                                                                         burst: configuration.rateLimitBurst)))
        addServiceRoutes(to: router)
        addSessionRoutes(to: router)
        addKeyCheckRoutes(to: router)
        // scrypt is bounded: a flood of password logins gets the pool's threads and backlog and 503
        // beyond them, while eID logins keep their own queue. The API and the login pages share it.
        let passwords = WorkerPool(name: "sleutel-password", width: configuration.passwordCheckThreads,
                                   backlog: configuration.passwordCheckBacklog)
        if let codes = sessions.codes { addCodeRoutes(to: router, codes: codes, passwords: passwords) }
        if let oidc {
            addOIDCRoutes(to: router, provider: oidc)
            do {
                let pages = try Pages()
                addLoginRoutes(to: router, provider: oidc, pages: pages, passwords: passwords)
                addLogoutRoutes(to: router, provider: oidc, pages: pages)
            } catch {
                preconditionFailure("the login page templates are part of the build: \(error)")
            }
        }
        var log = logger ?? Logger(label: "sleutel.server")
        if logger == nil { log.logLevel = .notice }
        return Application(
            router: router,
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "Sleutel"),
            services: [Housekeeping(server: self)] + services,
            onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) },
            logger: log
        )
    }

    /// Runs the server until SIGINT/SIGTERM (graceful shutdown) or task cancellation.
    /// - Parameter onRunning: called with the bound port once the server listens.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        try await application(onRunning: onRunning).runService()
    }

    static let log = Logger(label: "sleutel.server")

    /// Logs and counts one login attempt. Metadata holds session ids, levels and error codes;
    /// never a national register number, name, token, PIN or code.
    static func audit(login outcome: String, method: String, started: DispatchTime, metadata: Logger.Metadata) {
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - started.uptimeNanoseconds) / 1e9
        ServerMetrics.recordLogin(method: method, outcome: outcome, seconds: seconds)
        var fields = metadata
        fields["event"] = "login"
        fields["method"] = "\(method)"
        fields["outcome"] = "\(outcome)"
        // A refusal for load is counted, not logged line by line: a flood must not become one of log lines.
        guard outcome != WorkerPool.busy.code else { return }
        log.notice("login", metadata: fields)
    }

    /// The bearer token of the Authorization header.
    static func bearer(_ request: Request, required: Bool = true) throws -> String? {
        guard let header = request.headers[.authorization] else {
            if required { throw APIError.unauthorized }
            return nil
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw APIError.unauthorized }
        return String(parts[1])
    }

    static func bearer(_ request: Request) throws -> String {
        guard let token = try bearer(request, required: true) else { throw APIError.unauthorized }
        return token
    }

    static func person(of session: Session) throws -> INSZ? {
        guard let digits = session.person else { return nil }
        return try? INSZ(digits, origin: .certificate)
    }
}
