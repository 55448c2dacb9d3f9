/// The invocation seam every entry point uses — the HTTP and WebSocket APIs, the AWS endpoint, the bus: invoke a
/// function by name with a payload, as a `RequestResponse` (wait for the outcome) or an `Event` (accepted at once,
/// run in the background). `Platform` runs functions in their warm processes; `InMemoryFunctionInvoker` runs
/// closures in-process, so the routing around it is tested without processes or sockets.
public protocol FunctionInvoker: Sendable {
    /// The function a caller means (its name, its ARN, …), nil when there is none.
    func resolve(functionName: String) -> String?
    /// How many invocations of `function` may run at once; nil when there is no such function.
    func capacity(of function: String) -> Int?
    /// A `RequestResponse` invocation: runs `function` with `payload` and answers how it ended.
    /// - Throws: `FunctionPool.Refusal` when it cannot run now (no such function, concurrency and queue full,
    ///   shutting down).
    func invoke(function: String, payload: [UInt8], traceID: String?) async throws(FunctionPool.Refusal)
        -> InvocationRecord
    /// An `Event` invocation: returns at once; the invocation runs in the background, a failed one retried.
    func invokeAsynchronously(function: String, payload: [UInt8])
}

extension FunctionInvoker {
    /// A `RequestResponse` invocation without a trace id.
    public func invoke(function: String, payload: [UInt8]) async throws(FunctionPool.Refusal) -> InvocationRecord {
        try await invoke(function: function, payload: payload, traceID: nil)
    }
}
