import SmartPayCore

/// The Lambda Runtime API, as AWS documents it (version 2018-06-01), over a kept-alive loopback HTTP connection.
///
/// `GET …/invocation/next` waits with no client timeout; responses and errors are POSTed to
/// `…/invocation/{id}/response|error`, initialisation failures to `…/init/error`, with the
/// `Lambda-Runtime-Function-Error-Type` header and the JSON error document.
public struct RuntimeAPIClient: InvocationSource {
    private static let base = "/2018-06-01"
    private let connection: LoopbackHTTPConnection

    /// - Parameter endpoint: `host:port`, as `AWS_LAMBDA_RUNTIME_API` gives it.
    /// - Throws: when the endpoint is not `host:port`.
    public init(endpoint: String) throws {
        self.connection = try LoopbackHTTPConnection(endpoint: endpoint)
    }

    /// The loop is sequential and the process does nothing else between invocations, so the blocking socket call
    /// runs on the loop's own thread: a hop to another thread and back would cost four context switches per
    /// invocation (measured below in Tests/Benchmarks/results/runtime.txt). While the long poll waits, no handler
    /// runs, and the cooperative pool's other threads stay free for timers.
    private func send(_ method: String, _ path: String, headers: [(String, String)] = [], body: [UInt8] = []) throws
        -> LoopbackHTTPConnection.Response
    {
        try connection.exchange(method: method, path: Self.base + path, headers: headers, body: body)
    }

    /// Lambda (and `smartpay serve`) time an invocation out themselves: they answer the caller with Lambda's
    /// `Task timed out after N.00 seconds` at the deadline and replace the process.
    public var enforcesDeadline: Bool { true }

    public func next() async throws -> Invocation {
        // No client timeout: the Runtime API holds this request until there is an invocation.
        let response = try send("GET", "/runtime/invocation/next")
        guard response.status == 200 else {
            throw RuntimeAPIError(
                "GET /runtime/invocation/next answered \(response.status): \(String(decoding: response.body, as: UTF8.self))"
            )
        }
        guard let requestID = response.header("Lambda-Runtime-Aws-Request-Id"), !requestID.isEmpty else {
            throw RuntimeAPIError("the next invocation has no Lambda-Runtime-Aws-Request-Id header")
        }
        guard let deadlineText = response.header("Lambda-Runtime-Deadline-Ms"), let deadline = Int64(deadlineText)
        else {
            throw RuntimeAPIError("invocation \(requestID) has no valid Lambda-Runtime-Deadline-Ms header")
        }
        let metadata = InvocationMetadata(
            requestID: requestID,
            deadlineEpochMilliseconds: deadline,
            traceID: response.header("Lambda-Runtime-Trace-Id"),
            invokedFunctionARN: response.header("Lambda-Runtime-Invoked-Function-Arn"))
        return Invocation(metadata: metadata, payload: response.body)
    }

    public func respond(_ requestID: String, payload: [UInt8]) async throws {
        try await post("/runtime/invocation/\(requestID)/response", body: payload, errorType: nil)
    }

    public func fail(_ requestID: String, error: FunctionError) async throws {
        try await post(
            "/runtime/invocation/\(requestID)/error", body: error.errorDocument, errorType: error.code.errorType)
    }

    public func failInitialization(_ error: FunctionError) async throws {
        try await post("/runtime/init/error", body: error.errorDocument, errorType: error.code.errorType)
    }

    private func post(_ path: String, body: [UInt8], errorType: String?) async throws {
        var headers: [(String, String)] = [("Content-Type", "application/json")]
        if let errorType { headers.append(("Lambda-Runtime-Function-Error-Type", errorType)) }
        let response = try send("POST", path, headers: headers, body: body)
        guard (200..<300).contains(response.status) else {
            throw RuntimeAPIError(
                "POST \(path) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))")
        }
    }
}

/// The Runtime API refused or broke a call; the process cannot go on.
public struct RuntimeAPIError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
