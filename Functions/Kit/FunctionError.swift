import SmartPayCore
import SmartPayIO

/// The one error type of SmartPay's functions: a stable code, a message for people, the field it concerns, and
/// optionally the error underneath.
///
/// The code decides the Lambda `errorType` and, behind the HTTP API, the status code.
public struct FunctionError: Error, Sendable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidRequest = "invalid_request"
            case validation = "validation_error"
            case unauthorized
            case forbidden
            case notFound = "not_found"
            case conflict
            case rateLimited = "rate_limited"
            case `internal` = "internal_error"
            case unavailable
            case timeout
            case responseTooLarge = "response_too_large"
            case idempotencyError = "idempotency_error"
            case idempotencyInProgress = "idempotency_in_progress"
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Malformed input: not JSON, or JSON of the wrong shape or type (HTTP 400).
        public static let invalidRequest = Code(.invalidRequest)
        /// Well-formed input that breaks a rule: a negative amount, shares not summing to 100 % (HTTP 422).
        public static let validation = Code(.validation)
        /// No or bad credentials (HTTP 401).
        public static let unauthorized = Code(.unauthorized)
        /// Credentials without the right to do this (HTTP 403).
        public static let forbidden = Code(.forbidden)
        /// No such resource, or not one the caller may see (HTTP 404).
        public static let notFound = Code(.notFound)
        /// The request clashes with the resource's state or an idempotency key (HTTP 409).
        public static let conflict = Code(.conflict)
        /// Over a rate limit or concurrency quota (HTTP 429).
        public static let rateLimited = Code(.rateLimited)
        /// A fault of ours (HTTP 500).
        public static let `internal` = Code(.internal)
        /// A dependency is down; the caller may retry (HTTP 503).
        public static let unavailable = Code(.unavailable)
        /// The invocation ran past its deadline (Lambda's `Sandbox.Timedout`).
        public static let timeout = Code(.timeout)
        /// The response is over the payload limit (Lambda's `Function.ResponseSizeTooLarge`).
        public static let responseTooLarge = Code(.responseTooLarge)
        /// An idempotency key reused with different parameters (HTTP 400, as Stripe answers).
        public static let idempotencyError = Code(.idempotencyError)
        /// An idempotency key whose first request is still running (HTTP 409).
        public static let idempotencyInProgress = Code(.idempotencyInProgress)

        public var description: String { base.rawValue }

        /// The `errorType` of the Lambda error document.
        public var errorType: String {
            switch base {
            case .invalidRequest: "InvalidRequest"
            case .validation: "ValidationError"
            case .unauthorized: "Unauthorized"
            case .forbidden: "Forbidden"
            case .notFound: "NotFound"
            case .conflict: "Conflict"
            case .rateLimited: "TooManyRequests"
            case .internal: "InternalError"
            case .unavailable: "ServiceUnavailable"
            case .timeout: "Sandbox.Timedout"
            case .responseTooLarge: "Function.ResponseSizeTooLarge"
            case .idempotencyError: "IdempotencyError"
            case .idempotencyInProgress: "IdempotencyInProgress"
            }
        }

        /// The HTTP status behind the HTTP API.
        public var httpStatus: Int {
            switch base {
            case .invalidRequest, .idempotencyError: 400
            case .validation: 422
            case .unauthorized: 401
            case .forbidden: 403
            case .notFound: 404
            case .conflict, .idempotencyInProgress: 409
            case .rateLimited: 429
            case .internal, .responseTooLarge: 500
            case .unavailable: 503
            case .timeout: 504
            }
        }
    }

    public let code: Code
    public let message: String
    /// The JSON path of the offending field, when one is to blame (`amount`, `payment_method.type`).
    public let field: String?
    public let underlying: (any Error)?

    public init(_ code: Code, _ message: String, field: String? = nil, underlying: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.underlying = underlying
    }

    /// A rule broken by one field; the message reads `field: why`.
    public static func validation(_ field: String, _ why: String) -> FunctionError {
        FunctionError(.validation, "\(field): \(why)", field: field)
    }

    public static func notFound(_ what: String) -> FunctionError { FunctionError(.notFound, what) }

    public var description: String { "\(code.errorType): \(message)" }

    /// Turns any error into a `FunctionError`: a domain error (`FunctionErrorConvertible`) is what it says; a
    /// dependency's failure (`DependencyFailure`: Redis, an HTTP service) is `unavailable` (503, retryable) reading
    /// "{dependency} is unavailable: {error}"; decoding and parse errors keep their field and wording; anything
    /// unknown becomes `internal` without leaking its details into the message.
    public init(wrapping error: any Error) {
        switch error {
        case let error as FunctionError:
            self = error
        case let error as any FunctionErrorConvertible:
            self = error.functionError
        case let error as any DependencyFailure:
            self.init(.unavailable, "\(error.dependency) is unavailable: \(error)", underlying: error)
        case let error as UnknownFieldError:
            self.init(.invalidRequest, error.description, field: error.path, underlying: error)
        case let error as DecodingError:
            let field = error.fieldPath
            self.init(.invalidRequest, error.fieldMessage, field: field.isEmpty ? nil : field, underlying: error)
        case let error as JSONParseError:
            self.init(.invalidRequest, error.description, underlying: error)
        case let error as MoneyError:
            self.init(.validation, error.description, underlying: error)
        case is CancellationError:
            self.init(.timeout, "the invocation was cancelled", underlying: error)
        default:
            self.init(.internal, "internal error", underlying: error)
        }
    }

    /// Runs `body`; a failure of type `E` — the client of a store or service the function depends on — becomes
    /// `unavailable` (503, retryable) reading "the {what} is unavailable: {error}". Other errors pass unchanged.
    ///
    /// The harness already answers any `DependencyFailure` (`RedisError`, `HTTPClientError`) that reaches it this
    /// way, naming the dependency ("Redis is unavailable: …"); this wrapper is for code that catches the
    /// `FunctionError` itself before the harness sees it, or that wants the store named in the message.
    public static func unavailable<E: Error, T>(
        on _: E.Type, _ what: String, _ body: () async throws -> T
    ) async throws -> T {
        do {
            return try await body()
        } catch let error as E {
            throw FunctionError(.unavailable, "the \(what) is unavailable: \(error)", underlying: error)
        }
    }

    /// Lambda's error document: `{"errorType": …, "errorMessage": …}`.
    public var errorDocument: [UInt8] {
        JSONValue.object(["errorType": .string(code.errorType), "errorMessage": .string(message)]).serialized()
    }

    /// The body answered behind the HTTP API: `{"error": {"type": …, "message": …, "field": …}}`.
    public var httpBody: JSONValue {
        var error: [String: JSONValue] = ["type": .string(code.description), "message": .string(message)]
        if let field { error["field"] = .string(field) }
        return .object(["error": .object(error)])
    }
}

/// A domain's error that knows which `FunctionError` it is at the harness: the domain throws its own type (a
/// payment's illegal transition, a reward rule's refusal) and the harness converts it once, where it maps every
/// error to a status.
public protocol FunctionErrorConvertible: Error {
    var functionError: FunctionError { get }
}
