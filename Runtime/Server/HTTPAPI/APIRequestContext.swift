import Hummingbird
import NIOCore

/// The HTTP API's per-request context: Hummingbird's core context plus the caller's address, which becomes the
/// proxy event's `requestContext.http.sourceIp`.
struct APIRequestContext: RequestContext, RemoteAddressRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// The caller's IP address as text.
    var sourceIP: String { remoteAddress?.ipAddress ?? "" }
}
