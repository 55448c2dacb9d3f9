import SmartPayContracts
import SmartPayCore

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Recognises the three shapes an event may come in and unwraps the function's own event; wraps the answer in the
/// matching shape.
enum EnvelopeCodec {
    /// True for an API Gateway HTTP API (payload format 2.0) event.
    static func isHTTP(_ payload: JSONValue) -> Bool {
        payload["version"]?.stringValue == "2.0" && payload["requestContext"]?["http"] != nil
    }

    /// True for an API Gateway WebSocket API event (answered, like HTTP, with `statusCode` and `body`).
    static func isWebSocket(_ payload: JSONValue) -> Bool {
        guard let context = payload["requestContext"], context["connectionId"]?.stringValue != nil,
            let type = context["eventType"]?.stringValue
        else { return false }
        return WebSocketRequest.EventType(rawValue: type) != nil
    }

    /// The function's event and where it came from.
    static func unwrap(_ payload: JSONValue) throws(FunctionError) -> (event: JSONValue, source: EventSource) {
        guard case .object(let members) = payload else { return (payload, .direct) }
        if isHTTP(payload), let context = members["requestContext"] {
            return try unwrapHTTP(members, context: context)
        }
        if isWebSocket(payload), let context = members["requestContext"] {
            return unwrapWebSocket(members, context: context)
        }
        if let detailType = members["detail-type"]?.stringValue, let source = members["source"]?.stringValue,
            let detail = members["detail"]
        {
            guard case .object = detail else {
                throw FunctionError(
                    .invalidRequest, "detail: expected a JSON object in the EventBridge event", field: "detail")
            }
            let resources = members["resources"].flatMap { value -> [String]? in
                guard case .array(let items) = value else { return nil }
                return items.compactMap(\.stringValue)
            }
            let envelope = EventBridgeEnvelope(
                id: members["id"]?.stringValue ?? "",
                detailType: detailType,
                source: source,
                account: members["account"]?.stringValue ?? "",
                time: members["time"]?.stringValue ?? "",
                region: members["region"]?.stringValue ?? "",
                resources: resources ?? [])
            return (detail, .eventBridge(envelope))
        }
        return (payload, .direct)
    }

    private static func unwrapHTTP(
        _ members: [String: JSONValue], context: JSONValue
    ) throws(FunctionError) -> (event: JSONValue, source: EventSource) {
        let http = context["http"]
        let headers = stringMap(members["headers"])
        let pathParameters = stringMap(members["pathParameters"])
        let request = HTTPAPIRequest(
            method: http?["method"]?.stringValue ?? "GET",
            path: http?["path"]?.stringValue ?? members["rawPath"]?.stringValue ?? "/",
            routeKey: members["routeKey"]?.stringValue ?? "$default",
            headers: lowercasedKeys(headers),
            queryStringParameters: stringMap(members["queryStringParameters"]),
            pathParameters: pathParameters,
            requestContext: context)

        var bodyBytes: [UInt8] = []
        if let body = members["body"]?.stringValue, !body.isEmpty {
            if members["isBase64Encoded"] == .bool(true) {
                guard let decoded = Data(base64Encoded: body) else {
                    throw FunctionError(
                        .invalidRequest, "body: isBase64Encoded is true but the body is not valid base64")
                }
                bodyBytes = Array(decoded)
            } else {
                bodyBytes = Array(body.utf8)
            }
        }
        var event: JSONValue = .object([:])
        if !bodyBytes.isEmpty {
            if let contentType = request.header("content-type"), !contentType.lowercased().contains("json") {
                throw FunctionError(
                    .invalidRequest, "content-type \"\(contentType)\" is not supported: send application/json")
            }
            do {
                event = try JSONParser().parse(bodyBytes)
            } catch {
                throw FunctionError(.invalidRequest, "body: \(error.description)", underlying: error)
            }
        }
        if !pathParameters.isEmpty {
            guard case .object(var fields) = event else {
                throw FunctionError(.invalidRequest, "body: expected a JSON object")
            }
            for (name, value) in pathParameters {
                if let existing = fields[name], existing != .string(value) {
                    throw FunctionError(
                        .invalidRequest,
                        "\(name): the path says \"\(value)\" but the body says \(existing.briefDescription)",
                        field: name)
                }
                fields[name] = .string(value)
            }
            event = .object(fields)
        }
        return (event, .httpAPI(request))
    }

    private static func unwrapWebSocket(_ members: [String: JSONValue], context: JSONValue) -> (
        event: JSONValue, source: EventSource
    ) {
        let headers = stringMap(members["headers"])
        let request = WebSocketRequest(
            eventType: WebSocketRequest.EventType(rawValue: context["eventType"]?.stringValue ?? "") ?? .message,
            routeKey: context["routeKey"]?.stringValue ?? "$default",
            connectionID: context["connectionId"]?.stringValue ?? "",
            domainName: context["domainName"]?.stringValue ?? "",
            stage: context["stage"]?.stringValue ?? "",
            headers: lowercasedKeys(headers),
            queryStringParameters: stringMap(members["queryStringParameters"]),
            requestContext: context)
        var event: JSONValue = .object([:])
        if let body = members["body"]?.stringValue, !body.isEmpty {
            var bytes = Array(body.utf8)
            if members["isBase64Encoded"] == .bool(true), let decoded = Data(base64Encoded: body) {
                bytes = Array(decoded)
            }
            // A message that is not JSON reaches `$default` as it came: the function sees its text.
            event = (try? JSONParser().parse(bytes)) ?? .string(String(decoding: bytes, as: UTF8.self))
        }
        return (event, .webSocket(request))
    }

    /// Header names in lower case; two spellings of one name are joined with a comma.
    private static func lowercasedKeys(_ headers: [String: String]) -> [String: String] {
        Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { a, b in a + "," + b })
    }

    private static func stringMap(_ value: JSONValue?) -> [String: String] {
        guard case .object(let members)? = value else { return [:] }
        var result: [String: String] = [:]
        for (key, value) in members {
            if let text = value.stringValue { result[key] = text }
        }
        return result
    }

    /// The HTTP API v2 response for a handler's JSON output.
    static func httpResponse(status: Int, headers extra: [String: String], body: [UInt8]) -> [UInt8] {
        var headers: [String: JSONValue] = ["content-type": .string("application/json")]
        for (name, value) in extra { headers[name.lowercased()] = .string(value) }
        return JSONValue.object([
            "statusCode": .number(String(status)),
            "headers": .object(headers),
            "isBase64Encoded": .bool(false),
            "body": .string(String(decoding: body, as: UTF8.self)),
        ]).serialized()
    }

    /// The HTTP API v2 response for a handled error.
    static func httpError(_ error: FunctionError) -> [UInt8] {
        var extra: [String: String] = [:]
        if error.code == .rateLimited { extra["retry-after"] = "1" }
        return httpResponse(status: error.code.httpStatus, headers: extra, body: error.httpBody.serialized())
    }
}
