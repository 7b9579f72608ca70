import CardBinding
import Foundation
import Hummingbird
import NIOCore
import Sessions
import Storage

extension SleutelServer {
    /// `/health` (database and local reader), `/metrics` (Prometheus) and `/openapi.json`.
    func addServiceRoutes(to router: Router<ServerContext>) {
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
    }
}
