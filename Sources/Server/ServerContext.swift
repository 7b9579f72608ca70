import HTTPTypes
import Hummingbird
import NIOCore

/// The request context of the Sleutel server: the core context plus the peer address for rate
/// limits.
public struct ServerContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
    }

    /// The client's address when a trusted proxy named it (``ClientAddressMiddleware``).
    var forwardedClient: String?

    /// The client's IP address as text: the peer's, or the one a trusted proxy forwarded
    /// ("unknown" when the channel has none). Rate limits, lockouts and audit use it.
    var peer: String { forwardedClient ?? remoteAddress?.ipAddress ?? "unknown" }
}

/// Sets ``ServerContext/forwardedClient`` from the forwarding header when the peer is a trusted proxy.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let proxies: TrustedProxies

    func handle(_ request: Request, context: ServerContext, next: (Request, ServerContext) async throws -> Response) async throws -> Response {
        guard !proxies.networks.isEmpty, let peer = context.remoteAddress?.ipAddress else { return try await next(request, context) }
        var context = context
        let name = HTTPField.Name(proxies.header.rawValue)!
        context.forwardedClient = proxies.client(peer: peer, headerValues: request.headers[values: name])
        return try await next(request, context)
    }
}
