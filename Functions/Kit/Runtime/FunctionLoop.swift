import Logging

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The invocation loop: next → invoke → respond | fail, for as long as the source has invocations. A failing
/// invocation is reported and the loop goes on; a failing source ends it.
public struct FunctionLoop<Handler: FunctionHandler>: Sendable {
    public let host: FunctionHost<Handler>
    public let source: any InvocationSource

    public init(host: FunctionHost<Handler>, source: any InvocationSource) {
        self.host = host
        self.source = source
    }

    /// Serves invocations until `limit` have been handled (nil: for ever) or the source fails.
    /// - Throws: the source's error (the Runtime API is gone or refused a call).
    public func run(limit: Int? = nil) async throws {
        var handled = 0
        while limit.map({ handled < $0 }) ?? true {
            let invocation = try await source.next()
            if let traceID = invocation.metadata.traceID {
                setenv("_X_AMZN_TRACE_ID", traceID, 1)
            } else {
                unsetenv("_X_AMZN_TRACE_ID")
            }
            let result = await host.invoke(
                payload: invocation.payload, metadata: invocation.metadata,
                deadline: source.enforcesDeadline ? .platform : .harness)
            switch result {
            case .response(let bytes): try await source.respond(invocation.metadata.requestID, payload: bytes)
            case .failure(let error): try await source.fail(invocation.metadata.requestID, error: error)
            }
            handled += 1
        }
    }
}
