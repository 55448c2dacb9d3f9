import SmartPayIO

/// What went wrong talking to Redis. `code` is stable for callers to switch on; `message` is for people. A
/// `DependencyFailure`: the function harness answers it as unavailable (503).
public struct RedisError: DependencyFailure, Hashable, Sendable {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidURL = "invalid_url"
            case connectionFailed = "connection_failed"
            case connectionLost = "connection_lost"
            case timeout
            case server
            case protocolError = "protocol_error"
            case transactionAborted = "transaction_aborted"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The `redis://` URL could not be understood.
        public static let invalidURL = Code(.invalidURL)
        /// No connection could be made (refused, unreachable, authentication failed).
        public static let connectionFailed = Code(.connectionFailed)
        /// The connection broke while a command was under way; whether the server ran it is unknown.
        public static let connectionLost = Code(.connectionLost)
        /// No reply within the command timeout; the connection is dropped and remade on next use.
        public static let timeout = Code(.timeout)
        /// The server answered with an error reply (`WRONGTYPE`, `NOSCRIPT`, `EXECABORT` …).
        public static let server = Code(.server)
        /// hiredis could not parse what the server sent.
        public static let protocolError = Code(.protocolError)
        /// `EXEC` returned null because a `WATCH`ed key changed.
        public static let transactionAborted = Code(.transactionAborted)

        public var description: String { base.rawValue }
    }

    public let code: Code
    public let message: String
    /// What this Redis is to the code that called it ("the routing store"), when its client was told
    /// (`RedisConfiguration.service`); nil for Redis itself.
    public var service: String?

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "redis \(code): \(message)" }

    /// The service as a message names it: the client's `service`, else "Redis".
    public var dependency: String { service ?? "Redis" }
}
