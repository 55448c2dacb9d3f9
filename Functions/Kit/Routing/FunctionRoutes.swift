import SmartPayContracts
import SmartPayCore

/// A function's routes, declared once: HTTP API routes by the template's route key (`POST /pay`) with a typed body,
/// bus events by `detail-type` with a typed detail, direct actions by the event's `action`, WebSocket routes by
/// route key. The harness decodes the body (a 400 naming the field; a type whose `CodingKeys` are `CaseIterable`
/// also refuses unknown fields), dispatches on what the runtime already matched, and renders the answer.
///
/// ```swift
/// static let routes = FunctionRoutes<PayHandler> { routes in
///     routes.http("POST /pay", body: PaymentRequest.self) { pay, request, http, context in … }
///     routes.event(PaymentChainWatch.self) { pay, watch, envelope, context in … }
///     routes.action("get", body: PaymentLookup.self) { pay, lookup, context in … }
/// }
/// ```
public struct FunctionRoutes<Handler: Sendable>: Sendable {
    typealias Run = @Sendable (Handler, JSONValue, InvocationContext) async throws -> RouteOutput

    private(set) var httpRoutes: [String: Run] = [:]
    private(set) var eventRoutes: [String: Run] = [:]
    /// Routes for a family of detail types (`settlement.`), as a rule's `prefix` pattern delivers them; an exact
    /// route wins, then the longest prefix.
    private(set) var eventPrefixRoutes: [(prefix: String, run: Run)] = []
    private(set) var actionRoutes: [String: Run] = [:]
    private(set) var webSocketRoutes: [String: Run] = [:]
    /// The action of a direct event without an `action` member.
    public var defaultAction: String?

    public init(defaultAction: String? = nil, _ declare: (inout FunctionRoutes) -> Void) {
        self.defaultAction = defaultAction
        declare(&self)
    }

    /// An HTTP API route, by the route key the template declares (`GET /payments/{id}`). The body is the request's
    /// JSON; the path parameters are the request's (a body that contradicts the path was refused before this).
    public mutating func http<Body: Decodable & Sendable, Answer: Encodable & Sendable>(
        _ routeKey: String, body: Body.Type,
        _ run: @escaping @Sendable (Handler, Body, HTTPAPIRequest, InvocationContext) async throws -> Answer
    ) {
        httpRoutes[routeKey] = { handler, event, context in
            guard case .httpAPI(let request) = context.source else { throw Self.misrouted(context) }
            var body = event
            if case .object(var members) = event, !request.pathParameters.isEmpty {
                for name in request.pathParameters.keys { members.removeValue(forKey: name) }
                body = .object(members)
            }
            return RouteOutput(try await run(handler, try Self.decode(Body.self, body), request, context))
        }
    }

    /// A bus event of a contract type, by its `detail-type`.
    public mutating func event<Detail: BusEventDetail, Answer: Encodable & Sendable>(
        _ type: Detail.Type,
        _ run: @escaping @Sendable (Handler, Detail, EventBridgeEnvelope, InvocationContext) async throws -> Answer
    ) {
        event(Detail.detailType, detail: Detail.self, run)
    }

    /// A bus event by `detail-type`, with the detail's type named (one type may serve several detail types).
    public mutating func event<Detail: Decodable & Sendable, Answer: Encodable & Sendable>(
        _ detailType: String, detail: Detail.Type,
        _ run: @escaping @Sendable (Handler, Detail, EventBridgeEnvelope, InvocationContext) async throws -> Answer
    ) {
        eventRoutes[detailType] = { handler, event, context in
            guard case .eventBridge(let envelope) = context.source else { throw Self.misrouted(context) }
            let detail = try Self.decode(Detail.self, event, allowsUnknownKeys: true)
            return RouteOutput(try await run(handler, detail, envelope, context))
        }
    }

    /// Every bus event whose detail-type starts with `prefix` (the template's `prefix:` pattern), one detail type.
    public mutating func events<Detail: Decodable & Sendable, Answer: Encodable & Sendable>(
        prefix: String, detail: Detail.Type,
        _ run: @escaping @Sendable (Handler, Detail, EventBridgeEnvelope, InvocationContext) async throws -> Answer
    ) {
        eventPrefixRoutes.append(
            (
                prefix,
                { handler, event, context in
                    guard case .eventBridge(let envelope) = context.source else { throw Self.misrouted(context) }
                    let detail = try Self.decode(Detail.self, event, allowsUnknownKeys: true)
                    return RouteOutput(try await run(handler, detail, envelope, context))
                }
            ))
        eventPrefixRoutes.sort { $0.prefix.count > $1.prefix.count }
    }

    /// A direct invocation's action (`{"action": "get", …}`); the body is the event without `action`.
    public mutating func action<Body: Decodable & Sendable, Answer: Encodable & Sendable>(
        _ name: String, body: Body.Type,
        _ run: @escaping @Sendable (Handler, Body, InvocationContext) async throws -> Answer
    ) {
        actionRoutes[name] = { handler, event, context in
            RouteOutput(try await run(handler, try Self.decode(Body.self, event), context))
        }
    }

    /// Another function's call of a contract type, by its action; the answer is the call's `Answer`.
    public mutating func call<Call: FunctionCall>(
        _ type: Call.Type, _ run: @escaping @Sendable (Handler, Call, InvocationContext) async throws -> Call.Answer
    ) {
        action(Call.action, body: Call.self, run)
    }

    /// A WebSocket API route, by route key (`$connect`, `$disconnect`, `$default`, `subscribe`).
    public mutating func webSocket<Body: Decodable & Sendable, Answer: Encodable & Sendable>(
        _ routeKey: String, body: Body.Type,
        _ run: @escaping @Sendable (Handler, Body, WebSocketRequest, InvocationContext) async throws -> Answer
    ) {
        webSocketRoutes[routeKey] = { handler, event, context in
            guard case .webSocket(let request) = context.source else { throw Self.misrouted(context) }
            return RouteOutput(try await run(handler, try Self.decode(Body.self, event), request, context))
        }
    }

    /// Runs the route the event's source names.
    /// - Throws: `FunctionError` — `notFound` for an HTTP or WebSocket route not declared, `invalidRequest` for an
    ///   event type or action not handled, a body that does not decode (naming the field) — or the route's error.
    public func dispatch(_ handler: Handler, _ event: JSONValue, context: InvocationContext) async throws
        -> RouteOutput
    {
        switch context.source {
        case .httpAPI(let request):
            guard let run = httpRoutes[request.routeKey] else {
                throw FunctionError.notFound("no route for \(request.method) \(request.path)")
            }
            return try await run(handler, event, context)
        case .eventBridge(let envelope):
            let type = envelope.detailType
            guard let run = eventRoutes[type] ?? eventPrefixRoutes.first(where: { type.hasPrefix($0.prefix) })?.run
            else {
                let handled = eventRoutes.keys.sorted() + eventPrefixRoutes.map { $0.prefix + "*" }.sorted()
                throw FunctionError(
                    .invalidRequest,
                    "\(context.functionName) does not handle \(type) events; it handles "
                        + (handled.isEmpty ? "none" : handled.joined(separator: ", ")))
            }
            return try await run(handler, event, context)
        case .webSocket(let request):
            guard let run = webSocketRoutes[request.routeKey] else {
                throw FunctionError.notFound("no WebSocket route \(request.routeKey)")
            }
            return try await run(handler, event, context)
        case .direct:
            var body = event
            var name = defaultAction
            if case .object(var members) = event, let value = members.removeValue(forKey: "action") {
                guard let text = value.stringValue else {
                    throw FunctionError.validation("action", "expected a string, got \(value.briefDescription)")
                }
                name = text
                body = .object(members)
            }
            guard let name else {
                throw FunctionError.validation("action", "is required; one of " + Self.list(actionRoutes.keys))
            }
            guard let run = actionRoutes[name] else {
                throw FunctionError.validation(
                    "action", "unknown action \"\(name)\"; expected one of " + Self.list(actionRoutes.keys))
            }
            return try await run(handler, body, context)
        }
    }

    /// Decodes and validates a body; a bus event's detail (`allowsUnknownKeys`) may carry fields added later.
    static func decode<Body: Decodable>(_ type: Body.Type, _ value: JSONValue, allowsUnknownKeys: Bool = false)
        throws(FunctionError) -> Body
    {
        let body: Body
        do {
            body = try JSONValueDecoder(allowsUnknownKeys: allowsUnknownKeys).decode(type, from: value)
        } catch let error as DecodingError {
            // A field of the wrong shape breaks the body's rules: 422 naming it, as a rule beyond the types does.
            let field = error.fieldPath
            throw FunctionError(.validation, error.fieldMessage, field: field.isEmpty ? nil : field, underlying: error)
        } catch {
            throw FunctionError(wrapping: error)
        }
        try (body as? any ValidatedBody)?.validate()
        return body
    }

    static func list(_ names: Dictionary<String, Run>.Keys) -> String {
        names.isEmpty ? "none" : names.sorted().joined(separator: ", ")
    }

    static func misrouted(_ context: InvocationContext) -> FunctionError {
        FunctionError(.internal, "\(context.functionName): a route ran for an event from another source")
    }
}

/// The body of a route that takes none (a GET, `$connect`): any JSON object is accepted and ignored.
public struct EmptyBody: Decodable, Sendable {
    public init() {}
    public init(from decoder: any Decoder) throws {}
}
