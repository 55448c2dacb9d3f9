import Logging
import SmartPayCore
import Synchronization

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Everything the harness knows about one invocation before it runs: its id, deadline and tracing headers.
public struct InvocationMetadata: Sendable {
    public var requestID: String
    /// The deadline as Lambda sends it: milliseconds since the Unix epoch.
    public var deadlineEpochMilliseconds: Int64
    public var traceID: String?
    public var invokedFunctionARN: String?

    public init(
        requestID: String, deadlineEpochMilliseconds: Int64, traceID: String? = nil, invokedFunctionARN: String? = nil
    ) {
        self.requestID = requestID
        self.deadlineEpochMilliseconds = deadlineEpochMilliseconds
        self.traceID = traceID
        self.invokedFunctionARN = invokedFunctionARN
    }

    /// Metadata for a local invocation with a fresh request id and `timeout` from now.
    public static func local(timeout: Duration) -> InvocationMetadata {
        let milliseconds = timeout.wholeMilliseconds
        return InvocationMetadata(
            requestID: UUID().uuidString.lowercased(),
            deadlineEpochMilliseconds: Timestamp.now().millisecondsSinceEpoch + milliseconds)
    }
}

/// The outcome of one invocation, as bytes for whichever way it came in.
public enum InvocationResult: Sendable {
    /// The response document (already in the HTTP API's shape when the event came through it).
    case response([UInt8])
    /// A failed invocation: the Runtime API's error endpoint or the one-shot error document takes it.
    case failure(FunctionError)

    /// The bytes a caller sees: the response, or Lambda's error document.
    public var payload: [UInt8] {
        switch self {
        case .response(let bytes): bytes
        case .failure(let error): error.errorDocument
        }
    }
}

/// The one code path behind every way into a function — one-shot, the Runtime API loop, in-process: bytes in,
/// envelope unwrapped, event decoded, handler run under the deadline, output encoded and wrapped, bytes out.
public final class FunctionHost<Handler: FunctionHandler>: Sendable {
    /// Lambda's synchronous response limit, as its error message states it (6 MB).
    public static var maximumResponseBytes: Int { 6_291_556 }

    public let handler: Handler
    public let functionName: String
    public let configuration: FunctionConfiguration
    private let logger: Logger
    private let encoder: JSONEncoder

    /// Runs the handler's initialisation.
    /// - Throws: whatever the handler's `init(context:)` throws.
    public init(
        functionName: String,
        configuration: FunctionConfiguration = .fromEnvironment(),
        logger: Logger = Logger(label: "smartpay.function")
    ) async throws {
        var logger = logger
        logger[metadataKey: "function"] = .string(functionName)
        self.functionName = functionName
        self.configuration = configuration
        self.logger = logger
        self.handler = try await Handler(
            context: InitializationContext(functionName: functionName, configuration: configuration, logger: logger))
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.encoder = encoder
    }

    /// Who ends an invocation that runs past its deadline.
    public enum DeadlineEnforcement: Sendable {
        /// The harness: the handler runs in a task of its own, cancelled at the deadline, and the caller gets
        /// Lambda's timeout error at once even if the handler ignores cancellation (one-shot and in-process use).
        case harness
        /// The platform (Lambda, `smartpay serve`): the handler runs inline in the caller's task — no task, timer
        /// and hops per invocation — and the platform reports the timeout and replaces the process.
        case platform
    }

    /// Handles one invocation from its raw payload.
    public func invoke(
        payload: some Collection<UInt8>, metadata: InvocationMetadata,
        deadline enforcement: DeadlineEnforcement = .harness
    ) async -> InvocationResult {
        let started = ContinuousClock.now
        let deadline = Self.deadline(metadata.deadlineEpochMilliseconds, from: started)
        var logger = logger
        logger[metadataKey: "request_id"] = .string(metadata.requestID)

        let parsed: JSONValue
        do {
            parsed = try JSONParser().parse(payload)
        } catch {
            logger.info("invocation refused", metadata: ["error": .string(error.description)])
            return .failure(FunctionError(.invalidRequest, error.description, underlying: error))
        }
        let isHTTP = EnvelopeCodec.isHTTP(parsed) || EnvelopeCodec.isWebSocket(parsed)
        let source: EventSource
        let eventValue: JSONValue
        do {
            (eventValue, source) = try EnvelopeCodec.unwrap(parsed)
        } catch {
            logger.info("invocation refused", metadata: ["error": .string(error.message)])
            // Behind the HTTP API a malformed request is the client's 400, not a failed invocation.
            return isHTTP ? .response(EnvelopeCodec.httpError(error)) : .failure(error)
        }

        let context = InvocationContext(
            requestID: metadata.requestID, deadline: deadline, logger: logger, functionName: functionName,
            configuration: configuration, traceID: metadata.traceID, invokedFunctionARN: metadata.invokedFunctionARN,
            source: source)

        let result: InvocationResult
        do {
            let output = try await run(eventValue, context: context, started: started, enforcement: enforcement)
            result = .response(try render(output, http: isHTTP))
        } catch {
            let failure = FunctionError(wrapping: error)
            let handled = isHTTP && failure.code != .timeout
            result = handled ? .response(EnvelopeCodec.httpError(failure)) : .failure(failure)
            Self.log(failure, logger: logger)
        }
        if case .response(let bytes) = result, bytes.count > Self.maximumResponseBytes {
            let error = FunctionError(
                .responseTooLarge,
                "Response payload size (\(bytes.count) bytes) exceeded maximum allowed payload size "
                    + "(\(Self.maximumResponseBytes) bytes).")
            Self.log(error, logger: logger)
            return .failure(error)
        }
        return result
    }

    /// Decodes the event and runs the handler under the deadline rule.
    func run(
        _ eventValue: JSONValue, context: InvocationContext, started: ContinuousClock.Instant,
        enforcement: DeadlineEnforcement
    ) async throws -> Handler.Output {
        let event = try JSONValueDecoder().decode(Handler.Event.self, from: eventValue)
        let handler = self.handler
        switch enforcement {
        case .platform:
            return try await handler.handle(event, context: context)
        case .harness:
            let timeout = Self.timeoutDescription(from: started, to: context.deadline)
            return try await Self.run(
                until: context.deadline, timeoutMessage: "Task timed out after \(timeout) seconds"
            ) {
                try await handler.handle(event, context: context)
            }
        }
    }

    /// The output's bytes, in the HTTP API's shape (with the status and headers it chooses) behind the HTTP API.
    func render(_ output: Handler.Output, http: Bool) throws -> [UInt8] {
        let body = try encoder.encode(output)
        guard http else { return Array(body) }
        let shaping = output as? any HTTPResponseShaping
        return EnvelopeCodec.httpResponse(
            status: shaping?.httpStatus ?? 200, headers: shaping?.httpHeaders ?? [:], body: Array(body))
    }

    /// Handles an already typed event in-process (tests, benchmarks), with the same deadline rule.
    public func invoke(_ event: Handler.Event, timeout: Duration = .seconds(30)) async throws -> Handler.Output {
        let metadata = InvocationMetadata.local(timeout: timeout)
        let deadline = ContinuousClock.now.advanced(by: timeout)
        var logger = logger
        logger[metadataKey: "request_id"] = .string(metadata.requestID)
        let context = InvocationContext(
            requestID: metadata.requestID, deadline: deadline, logger: logger, functionName: functionName,
            configuration: configuration)
        let handler = self.handler
        do {
            return try await Self.run(
                until: deadline, timeoutMessage: "Task timed out after \(Self.seconds(timeout)) seconds"
            ) {
                try await handler.handle(event, context: context)
            }
        } catch {
            throw FunctionError(wrapping: error)
        }
    }

    private static func log(_ error: FunctionError, logger: Logger) {
        var metadata: Logger.Metadata = ["error_type": .string(error.code.errorType), "error": .string(error.message)]
        if let underlying = error.underlying, error.code == .internal {
            metadata["cause"] = .string(String(describing: underlying))
        }
        if error.code == .internal || error.code == .timeout || error.code == .responseTooLarge {
            logger.error("invocation failed", metadata: metadata)
        } else {
            logger.info("invocation refused", metadata: metadata)
        }
    }

    static func deadline(_ epochMilliseconds: Int64, from now: ContinuousClock.Instant) -> ContinuousClock.Instant {
        let remaining = epochMilliseconds - Timestamp.now().millisecondsSinceEpoch
        return now.advanced(by: .milliseconds(remaining))
    }

    /// The timeout to name in the message. Lambda timeouts are whole seconds and the invocation reaches the function
    /// a few milliseconds after the service started the clock, so a remaining time up to 50 ms short of a whole
    /// second is reported as that second (`3.00`, not `2.99`).
    static func timeoutDescription(from start: ContinuousClock.Instant, to deadline: ContinuousClock.Instant) -> String
    {
        let remaining = deadline - start
        let milliseconds = remaining.wholeMilliseconds
        let nearest = (milliseconds + 500) / 1000 * 1000
        if nearest > 0, milliseconds <= nearest, nearest - milliseconds <= 50 {
            return seconds(.milliseconds(nearest))
        }
        return seconds(remaining)
    }

    /// `3.00`: seconds with two decimals, as Lambda's timeout message writes them.
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        let hundredths = max(0, (seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 5) / 10)
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Runs `body` until it finishes or the deadline passes, whichever comes first. At the deadline the body's task
    /// is cancelled and the caller gets the timeout at once, even if the body ignores cancellation.
    static func run<T: Sendable>(
        until deadline: ContinuousClock.Instant,
        timeoutMessage: String,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let gate = ResumeOnce<T>()
        return try await withCheckedThrowingContinuation { continuation in
            gate.arm(continuation)
            let work = Task {
                let result: Result<T, any Error>
                do { result = .success(try await body()) } catch { result = .failure(error) }
                gate.resume(with: result)
            }
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                guard !Task.isCancelled else { return }
                if gate.resume(with: .failure(FunctionError(.timeout, timeoutMessage))) { work.cancel() }
            }
            gate.onFinish { timer.cancel() }
        }
    }
}

/// Resumes a continuation exactly once, from whichever side gets there first.
private final class ResumeOnce<T: Sendable>: Sendable {
    private struct State {
        var continuation: CheckedContinuation<T, any Error>?
        var finished = false
        var onFinish: (@Sendable () -> Void)?
    }

    private let state = Mutex(State())

    func arm(_ continuation: CheckedContinuation<T, any Error>) {
        state.withLock { $0.continuation = continuation }
    }

    func onFinish(_ action: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.finished { return true }
            state.onFinish = action
            return false
        }
        if runNow { action() }
    }

    @discardableResult
    func resume(with result: Result<T, any Error>) -> Bool {
        let (continuation, action) = state.withLock {
            state -> (CheckedContinuation<T, any Error>?, (@Sendable () -> Void)?) in
            guard !state.finished else { return (nil, nil) }
            state.finished = true
            defer {
                state.continuation = nil
                state.onFinish = nil
            }
            return (state.continuation, state.onFinish)
        }
        guard let continuation else { return false }
        continuation.resume(with: result)
        action?()
        return true
    }
}
