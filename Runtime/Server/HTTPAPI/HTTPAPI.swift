import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SmartPayAuth
import SmartPayCore
import SmartPayTemplate

/// The HTTP API as API Gateway runs it with payload format 2.0: a request on a template route becomes a proxy
/// event, the function's answer becomes the response.
struct HTTPAPI: Sendable {
    static let maximumBodyBytes = 6 * 1024 * 1024

    /// Runs the routes' functions.
    let invoker: any FunctionInvoker
    /// The template's HTTP routes.
    let routes: [HTTPRoute]
    /// Identity and limits; nil serves every route open and unlimited (tests).
    var guardian: APIGuard?
    /// The Prometheus text `/metrics` answers.
    var metrics: @Sendable () -> String = { "" }

    func addRoutes(to router: Router<APIRequestContext>) {
        router.get("/health") { _, _ -> Response in
            Self.json(.ok, ["status": .string("ok")])
        }
        if let guardian {
            let jwks = ByteBuffer(bytes: guardian.development.jwks.json.serialized())
            router.get("/.well-known/jwks.json") { _, _ -> Response in
                Response(
                    status: .ok, headers: [.contentType: "application/json", .cacheControl: "max-age=300"],
                    body: .init(byteBuffer: jwks))
            }
        }
        router.get("/metrics") { _, _ -> Response in
            let text = metrics()
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(string: text)))
        }
        router.addMiddleware { RouteDispatcher(invoker: invoker, routes: routes, guardian: guardian) }
    }

    static func json(_ status: HTTPResponse.Status, _ body: [String: JSONValue]) -> Response {
        Response(
            status: status, headers: [.contentType: "application/json"],
            body: .init(byteBuffer: ByteBuffer(bytes: JSONValue.object(body).serialized())))
    }
}

/// Matches every request against the template's routes before the router's own (health, metrics) fall through.
struct RouteDispatcher: RouterMiddleware {
    typealias Context = APIRequestContext
    let invoker: any FunctionInvoker
    let routes: [HTTPRoute]
    let guardian: APIGuard?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws
        -> Response
    {
        let path = request.uri.path
        let method = request.method.rawValue
        guard
            let (route, parameters) = routes.lazy.compactMap({ route in
                route.match(method: method, path: path).map { (route, $0) }
            }).first
        else {
            if path == "/health" || path == "/metrics" || path == "/.well-known/jwks.json" {
                return try await next(request, context)
            }
            return HTTPAPI.json(
                .notFound, ["message": .string("Not Found"), "error": .string("no route for \(method) \(path)")])
        }
        do {
            try guardian?.checkHead(request)
        } catch {
            return Self.refuse(error)
        }
        let limit = guardian?.limits.maximumBodyBytes ?? HTTPAPI.maximumBodyBytes
        guard let buffer = try? await request.body.collect(upTo: limit) else {
            return HTTPAPI.json(
                .contentTooLarge,
                ["message": .string("Request Entity Too Large"), "error": .string("the body is over \(limit) bytes")])
        }
        let body = Array(buffer: buffer)
        var rateHeaders: HTTPFields = [:]
        var principal: APIGuard.Principal?
        if let guardian {
            do {
                try guardian.checkBody(body, contentType: request.headers[.contentType])
                principal = try await guardian.authorize(request, route: route)
                rateHeaders = try await guardian.admit(principal, route: route, ip: context.sourceIP)
            } catch {
                return Self.refuse(error)
            }
        }
        var response = try await invoke(
            request: request, route: route, parameters: parameters, body: body, context: context,
            authorizer: principal?.authorizer)
        for field in rateHeaders { response.headers.append(field) }
        return response
    }

    private static func refuse(_ refusal: APIGuard.Refusal) -> Response {
        var response = HTTPAPI.json(
            refusal.status, ["message": .string(refusal.message), "error": .string(refusal.reason)])
        for field in refusal.headers { response.headers.append(field) }
        return response
    }

    private func invoke(
        request: Request, route: HTTPRoute, parameters: [String: String], body: [UInt8], context: Context,
        authorizer: JSONValue?
    ) async throws -> Response {
        let event = Self.proxyEvent(
            request: request, route: route, parameters: parameters, body: body, remote: context.sourceIP,
            authorizer: authorizer)
        let record: InvocationRecord
        do {
            record = try await invoker.invoke(function: route.function, payload: event.serialized())
        } catch FunctionPool.Refusal.tooManyRequests {
            return HTTPAPI.json(.tooManyRequests, ["message": .string("Too Many Requests")])
        } catch {
            return HTTPAPI.json(.serviceUnavailable, ["message": .string("Service Unavailable")])
        }
        switch record.outcome {
        case .response(let bytes):
            return Self.response(from: bytes)
        case .timeout:
            return HTTPAPI.json(.gatewayTimeout, ["message": .string("Endpoint request timed out")])
        default:
            let document = record.outcome.errorDocument(requestID: record.requestID)
            let detail = document.flatMap { try? JSONParser().parse($0.document) } ?? .null
            return HTTPAPI.json(.badGateway, ["message": .string("Internal Server Error"), "error": detail])
        }
    }

    static func proxyEvent(
        request: Request, route: HTTPRoute, parameters: [String: String], body: [UInt8], remote: String,
        authorizer: JSONValue? = nil
    ) -> JSONValue {
        var folded = HTTPAPI.foldedHeaders(request.headers)
        // Payload format 2.0 moves cookies out of the headers into their own list.
        let cookies: [JSONValue] = request.headers[values: .cookie].flatMap { value in
            value.split(separator: ";").map { JSONValue.string($0.trimmingCharacters(in: .whitespaces)) }
        }
        folded.removeValue(forKey: "cookie")
        let headers = folded.mapValues(JSONValue.string)
        let query = request.uri.query ?? ""
        let queryParameters = HTTPAPI.queryParameters(query).mapValues(JSONValue.string)
        let now = Timestamp.now()
        let textual = String(validating: body, as: UTF8.self)
        var requestContext: [String: JSONValue] = [
            "accountId": .string(TemplateParser.account),
            "apiId": .string("local"),
            "domainName": .string(request.head.authority ?? "127.0.0.1"),
            "domainPrefix": .string("local"),
            "http": .object([
                "method": .string(request.method.rawValue),
                "path": .string(request.uri.path),
                "protocol": .string("HTTP/1.1"),
                "sourceIp": .string(remote),
                "userAgent": .string(request.headers[.userAgent] ?? ""),
            ]),
            "requestId": .string(UUID().uuidString.lowercased()),
            "routeKey": .string(route.routeKey),
            "stage": .string("$default"),
            "time": .string(now.format(fractional: false)),
            "timeEpoch": .number(String(now.millisecondsSinceEpoch)),
        ]
        if let authorizer { requestContext["authorizer"] = authorizer }
        var event: [String: JSONValue] = [
            "version": .string("2.0"),
            "routeKey": .string(route.routeKey),
            "rawPath": .string(request.uri.path),
            "rawQueryString": .string(query),
            "headers": .object(headers),
            "requestContext": .object(requestContext),
            "isBase64Encoded": .bool(textual == nil),
        ]
        if !body.isEmpty { event["body"] = .string(textual ?? Data(body).base64EncodedString()) }
        if !cookies.isEmpty { event["cookies"] = .array(cookies) }
        if !queryParameters.isEmpty { event["queryStringParameters"] = .object(queryParameters) }
        if !parameters.isEmpty { event["pathParameters"] = .object(parameters.mapValues { .string($0) }) }
        return .object(event)
    }

    /// Payload format 2.0: an object with `statusCode` is a full response; anything else is a 200 JSON body.
    static func response(from bytes: [UInt8]) -> Response {
        guard let value = try? JSONParser().parse(bytes), case .object(let members) = value,
            let statusText = members["statusCode"].flatMap({ value -> String? in
                if case .number(let text) = value { return text }
                return nil
            }), let status = Int(statusText)
        else {
            return Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
        var headers = HTTPFields()
        if case .object(let fields)? = members["headers"] {
            for (name, value) in fields {
                if let field = HTTPField.Name(name), let text = value.stringValue { headers[field] = text }
            }
        }
        if case .array(let cookies)? = members["cookies"] {
            for cookie in cookies.compactMap(\.stringValue) {
                headers.append(HTTPField(name: .setCookie, value: cookie))
            }
        }
        var body: [UInt8] = []
        if let text = members["body"]?.stringValue {
            if members["isBase64Encoded"] == .bool(true) {
                body = Data(base64Encoded: text).map(Array.init) ?? []
            } else {
                body = Array(text.utf8)
            }
        }
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// The request's parts as API Gateway hands them to a function, for the HTTP and WebSocket APIs' events.
extension HTTPAPI {
    /// Header fields by lower-case name, repeated ones joined with commas, as API Gateway hands them on.
    static func foldedHeaders(_ fields: HTTPFields) -> [String: String] {
        var headers: [String: String] = [:]
        for field in fields {
            let name = field.name.canonicalName
            headers[name] = headers[name].map { $0 + "," + field.value } ?? field.value
        }
        return headers
    }

    /// A query string's parameters, percent-decoded (`+` as a space in values), repeated ones joined with commas.
    static func queryParameters(_ query: String) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in query.split(separator: "&") where !pair.isEmpty {
            let parts = pair.split(separator: "=", maxSplits: 1)
            let key = String(parts[0]).removingPercentEncoding ?? String(parts[0])
            let value =
                parts.count > 1
                ? (String(parts[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(parts[1]))
                : ""
            parameters[key] = parameters[key].map { $0 + "," + value } ?? value
        }
        return parameters
    }
}
