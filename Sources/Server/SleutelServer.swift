import CardBinding
import CryptoCore
import Dispatch
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import Rights
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
        addRoutes(to: router)
        if let codes = sessions.codes { addCodeRoutes(to: router, codes: codes) }
        if let oidc { addOIDCRoutes(to: router, provider: oidc) }
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

    // MARK: - Routes

    func addRoutes(to router: Router<ServerContext>) {
        let limit = configuration.maxBodySize
        router.get("/health") { _, _ in
            let database = (try? await Blocking.run { sessions.database.isReachable() }) ?? false
            let reader = readerHealth?()
            let healthy = database && (reader?.pcscdRunning ?? true)
            return JSONReply(HealthReply(status: healthy ? "ok" : "degraded", database: database, reader: reader),
                             status: healthy ? .ok : .serviceUnavailable)
        }
        router.get("/metrics") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: ServerMetrics.render())))
        }
        router.get("/openapi.json") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "application/json"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: OpenAPI.document)))
        }

        let v1 = router.group("v1")
        v1.post("eid/challenge") { request, _ in
            let body = try await JSON.decode(ChallengeRequest.self, from: request, limit: limit)
            let challenge = try await Blocking.run { try sessions.beginEIDLogin(application: body.application, cardBinding: body.cardBinding) }
            return JSONReply(ChallengeReply(challenge), status: .created)
        }
        v1.post("eid/login") { request, _ in
            let body = try await JSON.decode(EIDLoginRequest.self, from: request, limit: limit)
            let stepUp = try Self.bearer(request, required: false)
            let started = DispatchTime.now()
            do {
                let issued = try await Blocking.run {
                    try sessions.completeEIDLogin(transactionID: body.transactionId, signature: Array(body.signature),
                                                  certificate: Array(body.certificate), intermediates: (body.intermediates ?? []).map { Array($0) },
                                                  stepUpToken: stepUp)
                }
                Self.audit(login: "ok", method: "eidPin", started: started,
                           metadata: ["session": "\(issued.session.id)", "loa": "\(issued.session.level.fasLevel)",
                                      "stepUp": "\(stepUp != nil)", "cardBound": "\(issued.session.cardBinding != nil)"])
                return JSONReply(IssuedReply(issued), status: .created)
            } catch let error as APIError {
                var metadata: Logger.Metadata = ["status": "\(error.status.code)"]
                if let trust = error.details["trustCode"] { metadata["trustCode"] = "\(trust)" }
                Self.audit(login: error.code, method: "eidPin", started: started, metadata: metadata)
                throw error
            }
        }
        v1.get("session") { request, _ in
            let token = try Self.bearer(request)
            let session = try await Blocking.run { try sessions.authenticate(token: token) }
            return JSONReply(SessionReply(session))
        }
        v1.delete("session") { request, _ in
            let token = try Self.bearer(request)
            _ = try await Blocking.run { try sessions.revoke(token: token) }
            return Response(status: .noContent)
        }
        v1.post("session/organisation") { request, _ in
            let token = try Self.bearer(request)
            let body = try await JSON.decode(OrganisationRequest.self, from: request, limit: limit)
            let (decision, names) = try await Blocking.run { () throws -> (LoginDecision, [KBONumber: String]) in
                let decision = try sessions.chooseOrganisation(token: token, application: body.application, organisation: body.organisation)
                // Names are for display: a failed lookup costs the names, not the decision.
                let names = (try? rights?.displayNames(of: DecisionReply.organisations(of: decision))) ?? [:]
                return (decision, names)
            }
            return JSONReply(DecisionReply(decision, names: names), status: DecisionReply.status(of: decision))
        }
        v1.get("session/access/:application") { request, context in
            let token = try Self.bearer(request)
            let application = try context.parameters.require("application")
            let session = try await Blocking.run { try sessions.requireAccess(token: token, application: application) }
            return JSONReply(SessionReply(session))
        }
        v1.get("rights") { request, _ in
            let token = try Self.bearer(request)
            guard let rights else { throw APIError(.notFound, code: "rights.notConfigured", message: "this server has no rights registry") }
            let reply = try await Blocking.run { () throws -> RightsReply in
                let session = try sessions.authenticate(token: token)
                guard let person = try Self.person(of: session) else { return RightsReply(at: sessions.clock.now(), organisations: []) }
                let resolution = try rights.resolve(person: person)
                return RightsReply(at: resolution.at, organisations: resolution.organisations)
            }
            return JSONReply(reply)
        }
        v1.get("profile") { request, _ in
            let token = try Self.bearer(request)
            guard let rights else { throw APIError(.notFound, code: "rights.notConfigured", message: "this server has no rights registry") }
            let profile = try await Blocking.run { () throws -> Profile? in
                let session = try sessions.authenticate(token: token)
                guard let person = try Self.person(of: session) else { return nil }
                return try rights.profile(person: person)
            }
            guard let profile else { throw APIError(.notFound, code: "rights.noLinkedIdentity", message: "the session has no national register number") }
            return JSONReply(profile)
        }
        let keyBudget = RateLimiter(perSecond: configuration.keyCheckCostPerMinute / 60, burst: configuration.keyCheckCostPerMinute)
        let keyQueue = WorkerPool(name: "sleutel-keycheck", width: 1, backlog: Self.keyCheckBacklog)
        let perRequest = configuration.keyCheckCostPerRequest, serviceKey = configuration.validateKeySHA256
        v1.post("keys/check") { request, context in
            try keyQueue.admitOrRefuse()
            let body = try await JSON.decode(KeyCheckRequest.self, from: request, limit: limit)
            let checker = body.policy.map { name -> KeyStrengthChecker? in
                KeyStrengthPolicy.named(name).map { KeyStrengthChecker(policy: $0) }
            } ?? keyStrength
            guard let checker else { throw APIError.badRequest("unknown policy; use nist, bsi or anssi") }
            guard body.pem != nil || body.der != nil else { throw APIError.badRequest("give the key as pem (text) or der (base64)") }
            if body.pem?.isEmpty == true || body.der?.isEmpty == true { throw APIError.badRequest("pem and der must not be empty") }
            let input = Array((body.pem ?? "").utf8) + Array(body.der ?? Data())
            // Reading is cheap and bounded by the body size; the checks are what cost, so they are
            // priced first and run on a queue of their own, never on the one serving logins.
            let keys: [ReadKey]
            do { keys = try KeyStrengthChecker.readKeys(input, maximumKeys: Self.maximumKeysPerCheck) } catch let error as TrustError
                where error.code == .tooManyKeys {
                throw APIError.badRequest(error.reason)
            } catch let error as TrustError {
                return JSONReply(KeyCheckReply(acceptable: false, verdicts: [], problem: error.reason))
            }
            let cost = keys.reduce(0) { $0 + Self.checkCost($1.components, maximumBits: checker.options.maximumModulusBits) }
            let presented = (try? Self.bearer(request, required: false)) ?? nil
            if !Self.isServiceKey(presented, sha256: serviceKey) {
                guard cost <= perRequest else {
                    throw APIError(.contentTooLarge, code: "keys.costExceeded",
                                   message: "these keys cost \(Int(cost.rounded(.up))) units to check; at most \(Int(perRequest)) per request without the service key",
                                   details: ["cost": String(Int(cost.rounded(.up))), "maximum": String(Int(perRequest))])
                }
                if let wait = keyBudget.take(context.peer, cost: cost) {
                    throw APIError(.tooManyRequests, code: "keys.budgetExceeded",
                                   message: "key checks from this address are over their budget of \(Int(configuration.keyCheckCostPerMinute)) units a minute",
                                   details: ["retryAfterSeconds": String(max(1, Int(wait.rounded(.up))))])
                }
            }
            let reply = try await keyQueue.run { () -> KeyCheckReply in
                let verdicts = checker.verdicts(for: keys.map(\.components))
                return KeyCheckReply(acceptable: !verdicts.isEmpty && verdicts.allSatisfy(\.isAcceptable), verdicts: verdicts, problem: nil)
            }
            return JSONReply(reply)
        }
    }

    static let log = Logger(label: "sleutel.server")

    /// Keys judged per `POST /v1/keys/check`: with RSA moduli up to 16384 bits (each about 0.4 s of
    /// CPU with the primality test), one request stays within a few seconds of one core.
    static let maximumKeysPerCheck = 16
    /// Whether `key` is the service key whose SHA-256 is `expected` (compared in constant time);
    /// false when either is missing.
    static func isServiceKey(_ key: String?, sha256 expected: [UInt8]?) -> Bool {
        guard let key, let expected else { return false }
        return constantTimeEquals(DigestAlgorithm.sha256.hash(Array(key.utf8)), expected)
    }

    /// Key-check requests waiting for the key-check thread before more are answered 503 at once.
    static let keyCheckBacklog = 8

    /// What checking `key` costs, in units of one RSA-2048 key: (bits/2048)³ for RSA (modular
    /// arithmetic grows with the cube of the size), a tenth of a unit for other keys. A modulus over
    /// the checker's limit is refused without checks and costs as little.
    static func checkCost(_ key: KeyComponents, maximumBits: Int) -> Double {
        guard case .rsa(let n, _) = key, n.bitCount <= maximumBits else { return 0.1 }
        return max(0.1, pow(Double(n.bitCount) / 2048, 3))
    }

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

/// Runs blocking work (SQLite, OCSP fetches) on a dedicated concurrent queue, off the Swift
/// concurrency pool, translating module errors into ``APIError``s. Costly work (scrypt, key
/// checks) runs on a ``WorkerPool`` instead, so that it never queues in front of eID logins.
enum Blocking {
    private static let queue = DispatchQueue(label: "be.sleutel.server.blocking", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async {
                continuation.resume(with: Result { try ErrorMapping.map { try work() } })
            }
        }
    }
}
