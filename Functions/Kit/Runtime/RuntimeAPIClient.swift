import SmartPayClients
import SmartPayCore

/// The Lambda Runtime API, as AWS documents it (version 2018-06-01), over the libcurl HTTP client.
///
/// `GET …/invocation/next` waits with no client timeout; responses and errors are POSTed to
/// `…/invocation/{id}/response|error`, initialisation failures to `…/init/error`, with the
/// `Lambda-Runtime-Function-Error-Type` header and the JSON error document.
public struct RuntimeAPIClient: InvocationSource {
    private let baseURL: String
    private let http: HTTPClient

    /// - Parameter endpoint: `host:port`, as `AWS_LAMBDA_RUNTIME_API` gives it.
    public init(endpoint: String) {
        self.baseURL = "http://\(endpoint)/2018-06-01"
        var configuration = HTTPClient.Configuration()
        configuration.maximumConcurrentRequests = 2
        configuration.maximumResponseBytes = 7 * 1024 * 1024
        self.http = HTTPClient(configuration: configuration)
    }

    public func next() async throws -> Invocation {
        let response = try await http.execute(
            HTTPClientRequest(method: "GET", url: "\(baseURL)/runtime/invocation/next", timeout: .zero))
        guard response.status == 200 else {
            throw RuntimeAPIError("GET /runtime/invocation/next answered \(response.status): \(response.bodyText)")
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
        var headers: [(name: String, value: String)] = [("Content-Type", "application/json")]
        if let errorType { headers.append(("Lambda-Runtime-Function-Error-Type", errorType)) }
        let response = try await http.execute(
            HTTPClientRequest(method: "POST", url: baseURL + path, headers: headers, body: body, timeout: .seconds(30)))
        guard (200..<300).contains(response.status) else {
            throw RuntimeAPIError("POST \(path) answered \(response.status): \(response.bodyText)")
        }
    }
}

/// The Runtime API refused or broke a call; the process cannot go on.
public struct RuntimeAPIError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
