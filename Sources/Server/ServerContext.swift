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

    /// The peer's IP address as text ("unknown" when the channel has none).
    var peer: String { remoteAddress?.ipAddress ?? "unknown" }
}
