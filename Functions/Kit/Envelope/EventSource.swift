import SmartPayContracts
import SmartPayCore

/// How an event reached the function, and what came around it.
public enum EventSource: Sendable {
    /// The function's own event, as sent (`smartpay invoke`, the Lambda Invoke API, a sibling function).
    case direct
    /// An API Gateway HTTP API (payload format 2.0) request; the event was its JSON body with path parameters.
    case httpAPI(HTTPAPIRequest)
    /// An EventBridge delivery; the event was its `detail`.
    case eventBridge(EventBridgeEnvelope)
    /// An API Gateway WebSocket API route (`$connect`, `$disconnect`, `$default` or a selected route); the event
    /// was the message's JSON body (a JSON string holding the raw text when it is not JSON; `{}` for connect and
    /// disconnect).
    case webSocket(WebSocketRequest)
}

/// The parts of an API Gateway WebSocket event beside the message.
public struct WebSocketRequest: Sendable {
    public enum EventType: String, Sendable {
        case connect = "CONNECT"
        case message = "MESSAGE"
        case disconnect = "DISCONNECT"
    }

    public let eventType: EventType
    public let routeKey: String
    public let connectionID: String
    public let domainName: String
    public let stage: String
    /// Header names in lower case (only `$connect` carries headers and query parameters).
    public let headers: [String: String]
    public let queryStringParameters: [String: String]
    /// The whole `requestContext`, where API Gateway puts the authorizer's context and the caller's IP.
    public let requestContext: JSONValue

    public init(
        eventType: EventType, routeKey: String, connectionID: String, domainName: String, stage: String,
        headers: [String: String], queryStringParameters: [String: String], requestContext: JSONValue
    ) {
        self.eventType = eventType
        self.routeKey = routeKey
        self.connectionID = connectionID
        self.domainName = domainName
        self.stage = stage
        self.headers = headers
        self.queryStringParameters = queryStringParameters
        self.requestContext = requestContext
    }

    /// The caller, when `$connect` had an authorizer.
    public var identity: Identity? { Identity(requestContext: requestContext) }
}

/// The parts of an API Gateway HTTP API v2 proxy event a function may need beside the body.
public struct HTTPAPIRequest: Sendable {
    public let method: String
    public let path: String
    public let routeKey: String
    /// Header names in lower case, as API Gateway delivers them (repeated headers joined by commas).
    public let headers: [String: String]
    public let queryStringParameters: [String: String]
    public let pathParameters: [String: String]
    /// The whole `requestContext`, where API Gateway puts the authorizer's claims and the caller's IP.
    public let requestContext: JSONValue

    public init(
        method: String, path: String, routeKey: String, headers: [String: String],
        queryStringParameters: [String: String], pathParameters: [String: String], requestContext: JSONValue
    ) {
        self.method = method
        self.path = path
        self.routeKey = routeKey
        self.headers = headers
        self.queryStringParameters = queryStringParameters
        self.pathParameters = pathParameters
        self.requestContext = requestContext
    }

    public func header(_ name: String) -> String? { headers[name.lowercased()] }
}
