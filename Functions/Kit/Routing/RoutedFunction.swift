import SmartPayCore

/// A function whose invocations the harness dispatches by its declared routes; it implements no `handle` of its own.
public protocol RoutedFunction: FunctionHandler where Event == JSONValue, Output == RouteOutput {
    /// The function's routes, declared once (a `static let`, so they are built once per process).
    static var routes: FunctionRoutes<Self> { get }
}

extension RoutedFunction {
    public func handle(_ event: JSONValue, context: InvocationContext) async throws -> RouteOutput {
        try await Self.routes.dispatch(self, event, context: context)
    }
}

/// What a route answers: any encodable value, with the HTTP status and headers it chooses when it shapes its own
/// response (`JSONOutput`, `Created`) and 200 otherwise.
public struct RouteOutput: Encodable, Sendable, HTTPResponseShaping {
    public let value: any Encodable & Sendable
    public let httpStatus: Int
    public let httpHeaders: [String: String]

    public init(_ value: any Encodable & Sendable) {
        if let output = value as? RouteOutput {
            self = output
            return
        }
        self.value = value
        let shaping = value as? any HTTPResponseShaping
        self.httpStatus = shaping?.httpStatus ?? 200
        self.httpHeaders = shaping?.httpHeaders ?? [:]
    }

    public init(_ value: any Encodable & Sendable, httpStatus: Int, httpHeaders: [String: String] = [:]) {
        self.value = value
        self.httpStatus = httpStatus
        self.httpHeaders = httpHeaders
    }

    public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
