import CryptoCore
import Foundation
import OIDC
import OneTimeCodes
import Rights
import Server
import Sessions
import SleutelTestSupport
import Storage
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A Sleutel server on a free loopback port, in process, over a fresh in-memory database with
/// the test roots. Requests go through URLSession: a client independent of the server's code.
final class ServerHarness: Sendable {
    let fixture: SessionsFixture
    let port: Int
    let oidc: OIDCProvider
    private let task: Task<Void, any Error>

    static let client = OIDCClient(clientId: "test-client", redirectUris: ["http://127.0.0.1:9/cb"], application: "eloket",
                                   claims: Set(OIDCClient.Claim.allCases))
    static let narrowClient = OIDCClient(clientId: "narrow-client", redirectUris: ["http://127.0.0.1:9/cb"], application: "eloket",
                                         claims: [.organisation])

    init(configuration: ServerConfiguration = ServerHarness.defaultConfiguration, sessions: SessionsConfiguration = SessionsConfiguration(),
         codeSenders: [OutgoingCode.Channel: any CodeSender] = [:]) async throws {
        fixture = try SessionsFixture(extraMigrations: OIDCSchema.migrations, configuration: sessions, codeSenders: codeSenders, at: Date())
        let oidcConfiguration = try OIDCConfiguration(issuer: "http://127.0.0.1", signingKey: PrivateKey.generateEC(curve: .p256),
                                                      clients: [Self.client, Self.narrowClient], pairwiseKey: SecureRandom.bytes(32))
        oidc = try OIDCProvider(configuration: oidcConfiguration, sessions: fixture.service, rights: fixture.rights)
        let server = SleutelServer(configuration: configuration, sessions: fixture.service, rights: fixture.rights, oidc: oidc)
        let (stream, continuation) = AsyncStream<Int>.makeStream()
        task = Task { try await server.run { port in continuation.yield(port) } }
        var iterator = stream.makeAsyncIterator()
        port = await iterator.next() ?? 0
    }

    static var defaultConfiguration: ServerConfiguration {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.rateLimitPerSecond = 10_000
        configuration.rateLimitBurst = 10_000
        return configuration
    }

    deinit { task.cancel() }

    typealias Reply = HTTPReply

    /// Sends one request; redirects are not followed.
    func send(_ method: String, _ path: String, json: Any? = nil, form: String? = nil, token: String? = nil,
              headers: [String: String] = [:]) async throws -> Reply {
        var fields = headers
        if let token { fields["Authorization"] = "Bearer \(token)" }
        return try await LoopbackHTTP.send(port: port, method, path, json: json, form: form, headers: fields)
    }

    /// Logs `card` in over HTTP: challenge, card signature, login. Returns the bearer token.
    func login(_ card: TestCard, application: String = "eloket") async throws -> String {
        let challenge = try await send("POST", "/v1/eid/challenge", json: ["application": application])
        #expect(challenge.status == 201)
        let toBeSigned = Array(Data(base64Encoded: challenge.json["toBeSigned"] as! String)!)
        let reply = try await send("POST", "/v1/eid/login", json: [
            "transactionId": challenge.json["transactionId"] as! String,
            "signature": Data(try card.sign(toBeSigned)).base64EncodedString(),
            "certificate": Data(card.certificate).base64EncodedString(),
            "intermediates": card.intermediates.map { Data($0).base64EncodedString() },
        ])
        #expect(reply.status == 201, "\(String(decoding: reply.body, as: UTF8.self))")
        return reply.json["token"] as! String
    }
}
