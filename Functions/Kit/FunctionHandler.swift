import Logging
import SmartPayCore

/// What a SmartPay function implements: a typed event in, a typed output out. The harness does the bytes, the
/// envelopes (direct, HTTP API, EventBridge), the deadline and the error documents.
public protocol FunctionHandler: Sendable {
    associatedtype Event: Decodable & Sendable
    associatedtype Output: Encodable & Sendable

    /// Runs once per process, before the first invocation (Lambda's init phase): load models, open clients.
    /// - Throws: anything; it is reported to the Runtime API's init/error endpoint and the process exits.
    init(context: InitializationContext) async throws

    /// Handles one event.
    /// - Throws: `FunctionError` for a handled failure (its code picks the error type and HTTP status); any other
    ///   error is reported as an internal error without its details.
    func handle(_ event: Event, context: InvocationContext) async throws -> Output
}

/// What a handler sees at initialisation.
public struct InitializationContext: Sendable {
    public let functionName: String
    public let configuration: FunctionConfiguration
    public let logger: Logger

    public init(functionName: String, configuration: FunctionConfiguration, logger: Logger) {
        self.functionName = functionName
        self.configuration = configuration
        self.logger = logger
    }
}

/// What a handler sees of one invocation.
public struct InvocationContext: Sendable {
    public let requestID: String
    /// When the invocation must have answered. Under the Runtime API the platform ends the invocation then (Lambda
    /// and `smartpay serve` report the timeout and replace the process); one-shot, the harness cancels the handler.
    public let deadline: ContinuousClock.Instant
    /// A logger with `request_id` and `function` in its metadata.
    public let logger: Logger
    public let functionName: String
    public let configuration: FunctionConfiguration
    /// The X-Ray trace header, when the caller sent one.
    public let traceID: String?
    public let invokedFunctionARN: String?
    /// How the event arrived, with the HTTP request or EventBridge envelope around it.
    public let source: EventSource

    public init(
        requestID: String,
        deadline: ContinuousClock.Instant,
        logger: Logger,
        functionName: String,
        configuration: FunctionConfiguration,
        traceID: String? = nil,
        invokedFunctionARN: String? = nil,
        source: EventSource = .direct
    ) {
        self.requestID = requestID
        self.deadline = deadline
        self.logger = logger
        self.functionName = functionName
        self.configuration = configuration
        self.traceID = traceID
        self.invokedFunctionARN = invokedFunctionARN
        self.source = source
    }

    /// Time left before the deadline.
    public var remainingTime: Duration { deadline - ContinuousClock.now }
}

/// Outputs that choose their own HTTP status (201 for a created resource) and headers behind the HTTP API.
public protocol HTTPResponseShaping {
    var httpStatus: Int { get }
    var httpHeaders: [String: String] { get }
}

extension HTTPResponseShaping {
    public var httpHeaders: [String: String] { [:] }
}

/// A JSON document answered with an HTTP status and headers when the invocation came through the HTTP API (and as
/// the plain document otherwise).
public struct JSONOutput: Encodable, Sendable, HTTPResponseShaping {
    public var body: JSONValue
    public var httpStatus: Int
    public var httpHeaders: [String: String]

    public init(body: JSONValue, httpStatus: Int = 200, httpHeaders: [String: String] = [:]) {
        self.body = body
        self.httpStatus = httpStatus
        self.httpHeaders = httpHeaders
    }

    public func encode(to encoder: any Encoder) throws { try body.encode(to: encoder) }
}
