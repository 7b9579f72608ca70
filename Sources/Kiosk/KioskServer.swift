import Foundation
import Hummingbird

/// The kiosk's local web front: one page (`/`), its state (`/state`) and the person's actions
/// (`/pin`, `/organisation`, `/logout`). It binds to loopback only: the kiosk browser runs on
/// the same machine, and nothing here may be reachable from the network.
///
/// It answers only the page it served (``KioskRequestGuard``): other pages open in the same
/// browser, and names rebound to 127.0.0.1, get a typed JSON refusal and never reach the card.
/// Every answer forbids framing and sniffing, none is cached, and none carries CORS headers.
public struct KioskServer: Sendable {
    public let controller: KioskController
    public let port: Int
    /// The request rules, with this process's page token.
    public let requestGuard: KioskRequestGuard

    public init(controller: KioskController, port: Int, requestGuard: KioskRequestGuard = KioskRequestGuard()) {
        self.controller = controller
        self.port = port
        self.requestGuard = requestGuard
    }

    /// Runs until SIGINT/SIGTERM.
    /// - Parameter onRunning: called with the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        let controller = self.controller
        let boundPort = BoundPort(port == 0 ? nil : port)
        router.add(middleware: KioskGuardMiddleware(requestGuard: requestGuard, port: boundPort))
        let page = KioskPage.html(token: requestGuard.token)
        router.get("/") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.contentSecurityPolicy] = KioskPage.contentSecurityPolicy
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: page)))
        }
        router.get("/state") { _, _ in Self.json(controller.state) }
        router.post("/pin") { request, _ in
            struct Body: Decodable { let pin: String }
            let body = try await Self.decode(Body.self, request)
            return Self.json(await controller.submitPIN(body.pin))
        }
        router.post("/organisation") { request, _ in
            struct Body: Decodable { let organisation: String }
            let body = try await Self.decode(Body.self, request)
            return Self.json(await controller.chooseOrganisation(body.organisation))
        }
        router.post("/logout") { _, _ in Self.json(await controller.logout()) }
        controller.start()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "Sleutel kiosk"),
                              onServerRunning: { channel in
                                  let bound = channel.localAddress?.port ?? 0
                                  boundPort.set(bound)
                                  await onRunning(bound)
                              })
        try await app.runService()
    }

    private static func json(_ state: KioskController.State) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        let data = (try? JSONEncoder().encode(state)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws(KioskRequestError) -> T {
        var request = request
        do {
            let buffer = try await request.collectBody(upTo: 4096)
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw KioskRequestError(.invalidBody, "malformed request", status: .badRequest)
        }
    }
}

/// The port the server listens on, known once it is bound (`--port 0`).
final class BoundPort: @unchecked Sendable {
    private let lock = NSLock()
    private var port: Int?

    init(_ port: Int?) { self.port = port }

    var value: Int? { lock.withLock { port } }
    func set(_ port: Int) { lock.withLock { self.port = port } }
}

/// Runs ``KioskRequestGuard`` before every route, turns every refusal (and the router's 404/405)
/// into a typed JSON error, and puts the protective headers on every answer.
struct KioskGuardMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let requestGuard: KioskRequestGuard
    let port: BoundPort

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response: Response
        do {
            try requestGuard.check(method: request.method, path: request.uri.path, authority: request.head.authority,
                                   headers: request.headers, port: port.value)
            response = try await next(request, context)
        } catch {
            response = try Self.refusal(for: error).response(from: request, context: context)
        }
        Self.protect(&response.headers)
        return response
    }

    static func refusal(for error: any Error) -> KioskRequestError {
        switch error {
        case let error as KioskRequestError: error
        case let error as HTTPError where error.status == .notFound: KioskRequestError(.notFound, "no such page", status: .notFound)
        case let error as HTTPError where error.status == .methodNotAllowed:
            KioskRequestError(.methodNotAllowed, "method not allowed here", status: .methodNotAllowed)
        default: KioskRequestError(.internalError, "internal error", status: .internalServerError)
        }
    }

    /// No framing (clickjacking the PIN keypad), no MIME sniffing, no caching of the page (it holds
    /// the token) or of the state (name and photo), no cross-origin reads of any answer, no referrer.
    static func protect(_ headers: inout HTTPFields) {
        if headers[.contentSecurityPolicy] == nil { headers[.contentSecurityPolicy] = "default-src 'none'; frame-ancestors 'none'" }
        headers[KioskRequestGuard.FieldName("X-Frame-Options")!] = "DENY"
        headers[.xContentTypeOptions] = "nosniff"
        headers[.cacheControl] = "no-store"
        headers[KioskRequestGuard.FieldName("Referrer-Policy")!] = "no-referrer"
        headers[KioskRequestGuard.FieldName("Cross-Origin-Resource-Policy")!] = "same-origin"
        headers[KioskRequestGuard.FieldName("Cross-Origin-Opener-Policy")!] = "same-origin"
    }
}

/// The kiosk page (a resource of this module), with this process's page token written in.
enum KioskPage {
    static let contentSecurityPolicy =
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    static let tokenPlaceholder = "{{SLEUTEL_KIOSK_TOKEN}}"

    static let template: String = {
        guard let url = Bundle.module.url(forResource: "kiosk", withExtension: "html"), let data = try? Data(contentsOf: url) else {
            return "<!doctype html><title>Sleutel</title><p>kiosk page missing</p>"
        }
        return String(decoding: data, as: UTF8.self)
    }()

    static func html(token: String) -> [UInt8] {
        Array(template.replacingOccurrences(of: tokenPlaceholder, with: token).utf8)
    }
}
