import Foundation
import HTTPTypes
import Hummingbird
import WebEID

/// The card agent on the person's own machine (`sleutel agent`, and the kiosk): Sleutel's login
/// page asks it, over loopback, to sign a Web eID challenge with the eID card. It owns the reader,
/// shows which site asks, takes the PIN itself (terminal, kiosk keypad or the reader's pin pad —
/// never the web page) and signs `hash(origin) ‖ hash(nonce)` for the origin the browser reports.
///
/// It answers only the origins it is configured for: CORS and Chromium's Private Network Access
/// preflight (`Access-Control-Allow-Private-Network`) are granted to those alone; any other origin
/// gets 403 without CORS headers, so its page cannot read the answer, and the card is never
/// touched. One signature at a time.
public struct CardAgent: Sendable {
    /// Makes the token once the person agreed and gave the PIN: `origin` is the asking site's
    /// origin, `nonce` its challenge. Throws ``CardAgentError`` to refuse.
    public typealias Authenticate = @Sendable (_ origin: String, _ nonce: String) async throws -> WebEIDToken

    public let configuration: CardAgentConfiguration
    private let authenticate: Authenticate
    private let gate = Gate()

    public init(configuration: CardAgentConfiguration, authenticate: @escaping Authenticate) {
        self.configuration = configuration
        self.authenticate = authenticate
    }

    /// Runs until SIGINT/SIGTERM (or task cancellation), on 127.0.0.1 at the configured port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        let allowed = configuration.allowedOrigins
        let authenticate = self.authenticate
        let gate = self.gate
        router.on("/v1/web-eid/authenticate", method: .options) { request, _ in
            guard let origin = request.headers[.origin], allowed.contains(origin),
                  request.headers[.accessControlRequestMethod] == "POST"
            else { return Self.refusal(.forbidden, "origin.refused", "this agent does not serve that site", origin: nil) }
            var headers = Self.cors(origin)
            headers[.accessControlAllowMethods] = "POST"
            headers[.accessControlAllowHeaders] = "Content-Type"
            headers[.accessControlMaxAge] = "60"
            if request.headers[HTTPField.Name("Access-Control-Request-Private-Network")!] == "true" {
                headers[HTTPField.Name("Access-Control-Allow-Private-Network")!] = "true"
            }
            return Response(status: .noContent, headers: headers)
        }
        router.post("/v1/web-eid/authenticate") { request, _ in
            guard let origin = request.headers[.origin], allowed.contains(origin) else {
                return Self.refusal(.forbidden, "origin.refused", "this agent does not serve that site", origin: nil)
            }
            struct Body: Decodable { let challengeNonce: String }
            var request = request
            let bytes = try await request.collectBody(upTo: 4096)
            guard let body = try? JSONDecoder().decode(Body.self, from: Data(bytes.readableBytesView)),
                  (44...128).contains(body.challengeNonce.utf8.count), Data(base64Encoded: body.challengeNonce).map({ $0.count >= 32 }) == true
            else { return Self.refusal(.badRequest, "request.invalid", "challengeNonce must be base64 of at least 32 bytes", origin: origin) }
            guard gate.enter() else { return Self.refusal(.tooManyRequests, "agent.busy", "the card is busy with another request", origin: origin) }
            defer { gate.leave() }
            do {
                let token = try await authenticate(origin, body.challengeNonce)
                var headers = Self.cors(origin)
                headers[.contentType] = "application/json"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: try JSONEncoder().encode(token))))
            } catch let error as CardAgentError {
                return Self.refusal(error.status, error.code, error.message, origin: origin)
            } catch {
                return Self.refusal(.internalServerError, "card.failed", "the card could not sign", origin: origin)
            }
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: configuration.port), serverName: "Sleutel agent"),
                              onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) })
        try await app.runService()
    }

    private static func cors(_ origin: String) -> HTTPFields {
        var headers = HTTPFields()
        headers[.accessControlAllowOrigin] = origin
        headers[.vary] = "Origin"
        headers[.cacheControl] = "no-store"
        return headers
    }

    private static func refusal(_ status: HTTPResponse.Status, _ code: String, _ message: String, origin: String?) -> Response {
        var headers = origin.map(cors) ?? [.cacheControl: "no-store"]
        headers[.contentType] = "application/json"
        let body = (try? JSONEncoder().encode(["error": code, "message": message])) ?? Data()
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// One signature at a time: a second request while the card is in use is refused, not queued.
    private final class Gate: @unchecked Sendable {
        private let lock = NSLock()
        private var busy = false
        func enter() -> Bool { lock.withLock { busy ? false : { busy = true; return true }() } }
        func leave() { lock.withLock { busy = false } }
    }
}

/// What the agent listens on and whom it answers.
public struct CardAgentConfiguration: Sendable {
    /// The fixed loopback port Sleutel's login page calls (default 24680).
    public var port: Int
    /// The exact origins (`https://login.example.be`) whose pages may ask for a signature.
    public var allowedOrigins: Set<String>

    public static let defaultPort = 24680

    public init(port: Int = CardAgentConfiguration.defaultPort, allowedOrigins: Set<String>) {
        self.port = port
        self.allowedOrigins = allowedOrigins
    }
}

/// Why the agent refused: shown to the page as `{error, message}`.
public struct CardAgentError: Error, Sendable {
    public let status: HTTPResponse.Status
    public let code: String
    public let message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    /// The person declined, or gave no PIN.
    public static let declined = CardAgentError(.forbidden, "user.declined", "the login was not confirmed on this computer")
    /// No eID card in a reader.
    public static let noCard = CardAgentError(.notFound, "card.absent", "no eID card in a reader")
    /// The card in the reader is not a readable Belgian eID.
    public static let unreadableCard = CardAgentError(.unprocessableContent, "card.unreadable", "the card in the reader is not a readable Belgian eID")
    /// The card did not sign.
    public static let signingFailed = CardAgentError(.internalServerError, "card.failed", "the card could not sign")
    /// The PIN was wrong (tries left in the message) or is blocked.
    public static func pin(_ message: String) -> CardAgentError { CardAgentError(.forbidden, "card.pin", message) }
}
