import Foundation
import Synchronization

/// A `FunctionInvoker` whose functions are closures run in-process: tests drive the HTTP API, the AWS endpoint and
/// the bus with it, without function processes. Every call is recorded.
public final class InMemoryFunctionInvoker: FunctionInvoker {
    /// A function: the payload in, how the invocation ended out (a response, an error, a timeout, …).
    public typealias Function = @Sendable (_ payload: [UInt8]) async -> InvocationOutcome

    /// One invocation it ran.
    public struct Call: Sendable {
        public let function: String
        public let payload: [UInt8]
    }

    private let functions: [String: Function]
    private let concurrency: Int
    private let recorded = Mutex<[Call]>([])

    /// - Parameters:
    ///   - functions: by name.
    ///   - concurrency: what `capacity(of:)` answers for each.
    public init(_ functions: [String: Function], concurrency: Int = 10) {
        self.functions = functions
        self.concurrency = concurrency
    }

    /// The invocations so far, in the order they started.
    public var calls: [Call] { recorded.withLock { $0 } }

    public func resolve(functionName: String) -> String? {
        let name = functionName.split(separator: ":").last.map(String.init) ?? functionName
        return functions[name] == nil ? nil : name
    }

    public func capacity(of function: String) -> Int? { functions[function] == nil ? nil : concurrency }

    public func invoke(function: String, payload: [UInt8], traceID: String?) async throws(FunctionPool.Refusal)
        -> InvocationRecord
    {
        guard let body = functions[function] else { throw .tooManyRequests("no function \(function)") }
        recorded.withLock { $0.append(Call(function: function, payload: payload)) }
        let start = ContinuousClock.now
        let outcome = await body(payload)
        return InvocationRecord(
            requestID: UUID().uuidString.lowercased(), function: function, outcome: outcome,
            duration: start.duration(to: .now), initDuration: nil, memorySizeMB: 128, maxMemoryUsedMB: nil)
    }

    public func invokeAsynchronously(function: String, payload: [UInt8]) {
        Task { _ = try? await invoke(function: function, payload: payload, traceID: nil) }
    }
}
