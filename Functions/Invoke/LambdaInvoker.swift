import SmartPayCore
import SmartPayHTTP

/// Invokes a sibling function through the Lambda Invoke API: the local runtime's endpoint
/// (`AWS_ENDPOINT_URL_LAMBDA`, unsigned) or AWS's regional endpoint (SigV4-signed with the environment's
/// credentials). Signed whenever credentials are configured.
public struct LambdaInvoker: Sendable {
    public enum InvocationType: String, Sendable {
        case requestResponse = "RequestResponse"
        case event = "Event"
        case dryRun = "DryRun"
    }

    /// What came back: the status, the payload, and the function error type when the function failed.
    public struct Result: Sendable {
        public let status: Int
        public let payload: [UInt8]
        /// `X-Amz-Function-Error` (`Unhandled`): the payload is then Lambda's error document.
        public let functionError: String?
        public let requestID: String?
    }

    /// The Invoke API refused the call (unknown function, throttled, bad request, transport failure).
    public struct InvokeError: Error, Sendable, CustomStringConvertible {
        /// AWS's error type (`ResourceNotFoundException`, `TooManyRequestsException`, …) or `TransportError`.
        public let type: String
        public let status: Int
        public let message: String
        public var description: String { "\(type) (\(status)): \(message)" }
    }

    public let endpoint: String
    public let region: String
    public let credentials: AWSCredentials?
    private let http: HTTPClient

    /// - Parameters:
    ///   - environment: read for `AWS_ENDPOINT_URL_LAMBDA`, `AWS_REGION` and the credentials.
    public init(environment: [String: String], http: HTTPClient = HTTPClient()) {
        let region = environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? "us-east-1"
        self.region = region
        self.endpoint =
            environment["AWS_ENDPOINT_URL_LAMBDA"] ?? environment["AWS_ENDPOINT_URL"]
            ?? "https://lambda.\(region).amazonaws.com"
        self.credentials = AWSCredentials.from(environment: environment)
        self.http = http
    }

    /// Invokes `function` (a name or an ARN) with `payload`.
    /// - Throws: `InvokeError` when the API refused the call; a function's own failure is a `Result` with
    ///   `functionError` set.
    public func invoke(
        _ function: String, payload: [UInt8], type: InvocationType = .requestResponse, timeout: Duration = .seconds(60)
    ) async throws(InvokeError) -> Result {
        let path = "/2015-03-31/functions/\(SigV4.uriEncode(function))/invocations"
        let base = endpoint.hasSuffix("/") ? String(endpoint.dropLast()) : endpoint
        let host = Self.host(of: base)
        var headers: [(String, String)] = [
            ("Host", host), ("Content-Type", "application/json"), ("X-Amz-Invocation-Type", type.rawValue),
        ]
        if let credentials {
            headers += SigV4.sign(
                method: "POST", path: path, headers: headers, body: payload, credentials: credentials, region: region,
                service: "lambda")
        }
        let response: HTTPClientResponse
        do {
            response = try await http.execute(
                HTTPClientRequest(
                    method: "POST", url: base + path, headers: headers.map { (name: $0.0, value: $0.1) }, body: payload,
                    timeout: timeout))
        } catch {
            throw InvokeError(type: "TransportError", status: 0, message: error.description)
        }
        guard (200..<300).contains(response.status) else {
            let type =
                response.header("x-amzn-ErrorType").map { String($0.prefix { $0 != ":" }) } ?? "HTTP\(response.status)"
            throw InvokeError(type: type, status: response.status, message: response.bodyText)
        }
        return Result(
            status: response.status, payload: response.body, functionError: response.header("X-Amz-Function-Error"),
            requestID: response.header("X-Amzn-RequestId"))
    }

    public static func host(of url: String) -> String {
        let afterScheme = url.split(separator: "/", maxSplits: 3, omittingEmptySubsequences: true)
        return afterScheme.count > 1 ? String(afterScheme[1]) : url
    }
}
