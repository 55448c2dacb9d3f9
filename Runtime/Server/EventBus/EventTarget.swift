import SmartPayCore
import SmartPayTemplate

/// The delivery seam: where the bus hands a matched event. `FunctionTarget` invokes the function through a
/// `FunctionInvoker`; benchmarks may use a no-op.
public protocol EventTarget: Sendable {
    /// How many deliveries to `function` may run at once; nil when there is no such function.
    func capacity(of function: String) -> Int?
    /// Delivers one event (EventBridge's envelope as JSON) and says how it went.
    func deliver(function: String, event: [UInt8]) async -> DeliveryOutcome
}

/// How one delivery went.
public enum DeliveryOutcome: Sendable, Equatable {
    case delivered
    /// `retryable` is false for errors that cannot succeed on a retry (no such target, an event the function
    /// refuses as malformed): those skip the retries.
    case failed(code: String, message: String, retryable: Bool)
}

/// The bus's targets are functions: each delivery is a `RequestResponse` invocation through an invoker (the
/// platform's processes, or an in-memory one in tests), its outcome read as EventBridge would.
public struct FunctionTarget: EventTarget {
    let invoker: any FunctionInvoker

    public init(invoker: any FunctionInvoker) { self.invoker = invoker }

    public func capacity(of function: String) -> Int? { invoker.capacity(of: function) }

    public func deliver(function: String, event: [UInt8]) async -> DeliveryOutcome {
        guard invoker.capacity(of: function) != nil else {
            return .failed(code: "RESOURCE_NOT_FOUND", message: "Function not found: \(function)", retryable: false)
        }
        let record: InvocationRecord
        do {
            record = try await invoker.invoke(function: function, payload: event)
        } catch .tooManyRequests(let message) {
            return .failed(code: "THROTTLING", message: message, retryable: true)
        } catch {
            return .failed(code: "SERVICE_UNAVAILABLE", message: "the runtime is shutting down", retryable: true)
        }
        guard let (type, document) = record.outcome.errorDocument(requestID: record.requestID) else {
            return .delivered
        }
        let message = (try? JSONParser().parse(document))?["errorMessage"]?.stringValue ?? ""
        // The harness answers an event it cannot decode with InvalidRequest and one that breaks a rule with
        // ValidationError: the same event fails the same way every time.
        let permanent = type == "InvalidRequest" || type == "ValidationError"
        return .failed(code: type, message: message, retryable: !permanent)
    }
}
