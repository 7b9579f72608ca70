import Foundation
import Hummingbird

/// The kiosk's local web front: one page (`/`), its state (`/state`) and the person's actions
/// (`/pin`, `/organisation`, `/logout`). It binds to loopback only: the kiosk browser runs on
/// the same machine, and nothing here may be reachable from the network.
public struct KioskServer: Sendable {
    public let controller: KioskController
    public let port: Int

    public init(controller: KioskController, port: Int) {
        self.controller = controller
        self.port = port
    }

    /// Runs until SIGINT/SIGTERM.
    /// - Parameter onRunning: called with the bound port.
    public func run(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let router = Router()
        let controller = self.controller
        router.get("/") { _, _ in
            var headers = HTTPFields()
            headers[.contentType] = "text/html; charset=utf-8"
            headers[.cacheControl] = "no-store"
            headers[.contentSecurityPolicy] = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: KioskPage.html)))
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
                              onServerRunning: { channel in await onRunning(channel.localAddress?.port ?? 0) })
        try await app.runService()
    }

    private static func json(_ state: KioskController.State) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = "application/json"
        headers[.cacheControl] = "no-store"
        let data = (try? JSONEncoder().encode(state)) ?? Data("{}".utf8)
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    private static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        var request = request
        let buffer = try await request.collectBody(upTo: 4096)
        do {
            return try JSONDecoder().decode(T.self, from: Data(buffer.readableBytesView))
        } catch {
            throw HTTPError(.badRequest, message: "malformed request")
        }
    }
}

/// The kiosk page (a resource of this module).
enum KioskPage {
    static let html: [UInt8] = {
        guard let url = Bundle.module.url(forResource: "kiosk", withExtension: "html"), let data = try? Data(contentsOf: url) else {
            return Array("<!doctype html><title>Sleutel</title><p>kiosk page missing</p>".utf8)
        }
        return Array(data)
    }()
}
