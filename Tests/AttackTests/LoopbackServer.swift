import CryptoCore
import Foundation
import OIDC
import OneTimeCodes
import Server
import Sessions
import SleutelTestSupport
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `SleutelServer` on a free loopback port, in process, over a fresh database with the test roots
/// and an OIDC client that asks for the organisation. The attacker talks to it through URLSession,
/// a client independent of the server's code. (Like ServerTests' harness, with the rate limit and
/// the clock in the attack's hands.)
final class LoopbackServer: Sendable {
    let fixture: SessionsFixture
    let port: Int
    private let task: Task<Void, any Error>

    static let oidcClient = OIDCClient(clientId: "attack-client", redirectUris: ["http://127.0.0.1:9/cb"], application: "eloket",
                                       claims: [.organisation, .rights])
    /// A client of the same application that asks for no organisation claims.
    static let plainClient = OIDCClient(clientId: "plain-client", redirectUris: ["http://127.0.0.1:9/cb"], application: "eloket", claims: [],
                                        postLogoutRedirectUris: ["http://127.0.0.1:9/bye"])

    /// - Parameters:
    ///   - rateLimit: requests per second and burst per client address (default: high enough not to interfere).
    ///   - validateKey: the bearer key of `POST /v1/otp/validate` (nil: the endpoint is off).
    ///   - proxies: the reverse proxies trusted to name the client (default none).
    ///   - codes: the OneTimeCodes configuration (default: cheap scrypt).
    ///   - passwordChecks: threads and backlog of the password-check pool (nil: the server's defaults).
    init(rateLimit: (perSecond: Double, burst: Double) = (10_000, 10_000), validateKey: String? = nil, at start: Date = Date(),
         proxies: TrustedProxies = TrustedProxies(), codes: OneTimeCodesConfiguration = .fastForTests,
         passwordChecks: (threads: Int, backlog: Int)? = nil) async throws {
        fixture = try SessionsFixture(extraMigrations: OIDCSchema.migrations, codesConfiguration: codes, at: start)
        let oidc = try OIDCProvider(
            configuration: OIDCConfiguration(issuer: "http://127.0.0.1", signingKey: PrivateKey.generateEC(curve: .p256),
                                             clients: [Self.oidcClient, Self.plainClient], pairwiseKey: SecureRandom.bytes(32)),
            sessions: fixture.service, rights: fixture.rights)
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.rateLimitPerSecond = rateLimit.perSecond
        configuration.rateLimitBurst = rateLimit.burst
        configuration.trustedProxies = proxies
        if let passwordChecks {
            configuration.passwordCheckThreads = passwordChecks.threads
            configuration.passwordCheckBacklog = passwordChecks.backlog
        }
        configuration.validateKeySHA256 = validateKey.map { DigestAlgorithm.sha256.hash(Array($0.utf8)) }
        configuration.housekeepingInterval = 0.2  // the attack moves the injected clock; the purge runs on real time
        let server = SleutelServer(configuration: configuration, sessions: fixture.service, rights: fixture.rights, oidc: oidc)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        task = Task { try await server.run { port in continuation.yield(port) } }
        var iterator = stream.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    deinit { task.cancel() }

    typealias Reply = HTTPReply

    /// Sends one request; redirects are not followed.
    func send(_ method: String, _ path: String, json: [String: Any]? = nil, form: String? = nil, token: String? = nil,
              authorization: String? = nil, cookie: String? = nil, headers extra: [String: String] = [:],
              through session: URLSession = LoopbackHTTP.session) async throws -> Reply {
        var headers = extra
        if let token { headers["Authorization"] = "Bearer \(token)" }
        if let authorization { headers["Authorization"] = authorization }
        if let cookie { headers["Cookie"] = cookie }
        return try await LoopbackHTTP.send(port: port, method, path, json: json, form: form, headers: headers, through: session)
    }

    /// `POST /v1/eid/challenge`.
    func challenge(application: String = "eloket") async throws -> WireChallenge {
        let reply = try await send("POST", "/v1/eid/challenge", json: ["application": application])
        guard reply.status == 201, let id = reply.json["transactionId"] as? String,
              let tbs = (reply.json["toBeSigned"] as? String).flatMap({ Data(base64Encoded: $0) }) else {
            throw AttackSetupError("challenge failed: \(reply.status)")
        }
        return WireChallenge(transactionID: id, toBeSigned: Array(tbs))
    }

    /// The body of `POST /v1/eid/login` answering `challenge` with `card`.
    func loginBody(_ card: TestCard, challenge: WireChallenge) throws -> [String: Any] {
        [
            "transactionId": challenge.transactionID,
            "signature": Data(try card.sign(challenge.toBeSigned)).base64EncodedString(),
            "certificate": Data(card.certificate).base64EncodedString(),
            "intermediates": card.intermediates.map { Data($0).base64EncodedString() },
        ]
    }

    /// A full eID login over HTTP; returns the bearer token.
    func login(_ card: TestCard) async throws -> String {
        let reply = try await send("POST", "/v1/eid/login", json: try loginBody(card, challenge: try await challenge()))
        guard reply.status == 201, let token = reply.json["token"] as? String else { throw AttackSetupError("login failed: \(reply.status)") }
        return token
    }

    /// An OIDC authorization request of ``oidcClient`` (PKCE S256 over ``pkceVerifier``) with `extra` query items.
    func authorize(token: String, extra: String = "", client: String = "attack-client") async throws -> (reply: Reply, query: [String: String]) {
        let challenge = Data(DigestAlgorithm.sha256.hash(Array(Self.pkceVerifier.utf8))).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        let reply = try await send("GET", "/oidc/authorize?response_type=code&client_id=\(client)&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"
                                   + "&scope=openid&state=s&code_challenge=\(challenge)&code_challenge_method=S256" + extra, token: token)
        let items = URLComponents(string: reply.location ?? "")?.queryItems ?? []
        return (reply, Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 }))
    }

    /// Exchanges an authorization code at the token endpoint.
    func exchange(code: String, client: String = "attack-client") async throws -> Reply {
        try await send("POST", "/oidc/token", form: "grant_type=authorization_code&code=\(code)&redirect_uri=http%3A%2F%2F127.0.0.1%3A9%2Fcb"
                       + "&client_id=\(client)&code_verifier=\(Self.pkceVerifier)")
    }

    static let pkceVerifier = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ-._~"
}

/// What a client sees of an eID challenge over HTTP: the transaction id and the bytes to sign.
struct WireChallenge: Sendable {
    let transactionID: String
    let toBeSigned: [UInt8]
}
