import SmartPayIO

/// An HTTP request for `HTTPClient`.
public struct HTTPClientRequest: Sendable {
    public var method: String
    public var url: String
    /// Header fields in order; a name may repeat.
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]?
    /// The whole exchange's limit; nil uses the client's default, `.zero` means none (a long poll).
    public var timeout: Duration?

    public init(
        method: String = "GET",
        url: String,
        headers: [(name: String, value: String)] = [],
        body: [UInt8]? = nil,
        timeout: Duration? = nil
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeout = timeout
    }
}

/// An HTTP response: status, header fields in order, and the whole body.
public struct HTTPClientResponse: Sendable {
    public var status: Int
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]
    /// How many new connections the exchange opened: 0 when it reused a kept-alive one.
    public var newConnections = 0

    public init(status: Int, headers: [(name: String, value: String)], body: [UInt8]) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header of that name, compared case-insensitively.
    public func header(_ name: String) -> String? {
        let wanted = name.lowercased()
        return headers.first { $0.name.lowercased() == wanted }?.value
    }

    public var bodyText: String { String(decoding: body, as: UTF8.self) }
}

/// Why an HTTP exchange failed before a response arrived. `code` is stable; `message` includes libcurl's words. A
/// `DependencyFailure`: the function harness answers it as unavailable (503).
public struct HTTPClientError: DependencyFailure, Hashable, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidRequest = "invalid_request"
            case connectionFailed = "connection_failed"
            case timeout
            case tls
            case responseTooLarge = "response_too_large"
            case transport
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The URL or a header could not be used.
        public static let invalidRequest = Code(.invalidRequest)
        /// The host could not be resolved or reached.
        public static let connectionFailed = Code(.connectionFailed)
        /// No complete response within the timeout.
        public static let timeout = Code(.timeout)
        /// The TLS handshake or certificate verification failed.
        public static let tls = Code(.tls)
        /// The body exceeded the client's response limit.
        public static let responseTooLarge = Code(.responseTooLarge)
        /// Anything else libcurl reports (a reset connection, a malformed response).
        public static let transport = Code(.transport)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "http \(code): \(message)" }

    public var dependency: String { "an HTTP service" }
}
