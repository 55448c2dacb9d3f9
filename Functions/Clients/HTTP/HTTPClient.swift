import SmartPayIO
import Synchronization

/// An HTTP/1.1 and HTTPS client over libcurl: TLS verification on by default, connections kept alive and reused.
///
/// Requests run on the client's own threads (libcurl blocks), never on Swift's cooperative pool. Up to
/// `maximumConcurrentRequests` run at once; each reuses a pooled easy handle and so its open connection.
public final class HTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// How long connecting (TCP and TLS) may take.
        public var connectTimeout: Duration = .seconds(5)
        /// The whole exchange's limit when a request names none.
        public var defaultTimeout: Duration = .seconds(30)
        /// Verify the server's certificate and host name. Turning this off is for loopback test servers only.
        public var verifyTLS = true
        /// A PEM file of trusted CAs instead of the system's.
        public var caBundlePath: String?
        /// Bodies larger than this fail with `responseTooLarge`.
        public var maximumResponseBytes = 64 * 1024 * 1024
        public var maximumConcurrentRequests = 16

        public init() {}
    }

    public let configuration: Configuration
    private let io: BlockingIOPool
    private let handles = Mutex<[CurlEasyHandle]>([])

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.io = BlockingIOPool(maximumThreads: configuration.maximumConcurrentRequests, name: "http-io")
    }

    /// Sends a request and returns the response, whatever its status.
    /// - Throws: `HTTPClientError` when no response arrived (connection, TLS, timeout, size).
    public func execute(_ request: HTTPClientRequest) async throws(HTTPClientError) -> HTTPClientResponse {
        do {
            return try await io.run { () throws(HTTPClientError) -> HTTPClientResponse in
                try self.executeBlocking(request)
            }
        } catch let error as HTTPClientError {
            throw error
        } catch {
            throw HTTPClientError(.transport, "\(error)")
        }
    }

    /// Sends a request on the calling thread, blocking it until the response is complete.
    public func executeBlocking(_ request: HTTPClientRequest) throws(HTTPClientError) -> HTTPClientResponse {
        let pooled = handles.withLock { $0.popLast() }
        let handle: CurlEasyHandle
        if let pooled { handle = pooled } else { handle = try CurlEasyHandle() }
        defer { handles.withLock { $0.append(handle) } }
        let options = CurlEasyHandle.Options(
            connectTimeout: configuration.connectTimeout,
            verifyTLS: configuration.verifyTLS,
            caBundlePath: configuration.caBundlePath,
            maximumResponseBytes: configuration.maximumResponseBytes)
        return try handle.perform(request, timeout: request.timeout ?? configuration.defaultTimeout, options: options)
    }
}
