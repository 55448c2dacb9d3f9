import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis
import SmartPayTemplate
import Synchronization

/// The WebSocket API's settings (`smartpay serve --ws-port …`); the quotas are API Gateway's.
public struct WebSocketOptions: Sendable {
    public var port = 3001
    /// A message larger than this closes the connection with 1009 (API Gateway: 128 KB).
    public var maximumMessageBytes = 128 * 1024
    /// One frame (API Gateway: 32 KB); a message may span frames.
    public var maximumFrameBytes = 32 * 1024
    /// A connection with no message either way for this long is closed with 1001 (API Gateway: 10 minutes).
    public var idleTimeout: Duration = .seconds(600)
    /// Any connection is closed with 1001 after this long (API Gateway: 2 hours).
    public var maximumDuration: Duration = .seconds(7200)

    public init() {}
}

/// The template's WebSocket API on its own port: the handshake runs `$connect` (the credential is checked by the
/// API's JWT authorizer, then the route's function may refuse with a non-2xx `statusCode`), each message is routed
/// by `RouteSelectionExpression` (`$request.body.action`) to its route or `$default`, and the end of a socket runs
/// `$disconnect`. Handlers receive API Gateway's WebSocket event shape. Open connections are registered in Redis
/// (`ConnectionKeys`) and reachable through the `@connections` management API (`ConnectionsEndpoint`).
final class WebSocketAPIServer: Sendable {
    typealias Handler = WebSocketDataHandler<HTTP1WebSocketUpgradeChannel.Context>

    let api: WebSocketAPISpec
    let invoker: any FunctionInvoker
    let guardian: APIGuard
    let redis: RedisClient
    let options: WebSocketOptions
    let logger: Logger
    let connections = LiveConnections()
    /// `host:port` once bound: the events' `domainName`, so `https://{domainName}/{stage}` reaches the management API.
    let domainName = Mutex("127.0.0.1")
    private let apiID: String

    init(
        api: WebSocketAPISpec, invoker: any FunctionInvoker, guardian: APIGuard, redis: RedisClient,
        options: WebSocketOptions, logger: Logger
    ) {
        self.api = api
        self.invoker = invoker
        self.guardian = guardian
        self.redis = redis
        self.options = options
        self.logger = logger
        apiID = String(api.logicalID.lowercased().filter { $0.isLetter || $0.isNumber }.prefix(10))
    }

    /// The server: upgrades on `/` or `/{stage}`, and answers plain HTTP (refused handshakes, the management API).
    func application(host: String, onRunning: @escaping @Sendable (Int) -> Void, logger quiet: Logger)
        -> some ApplicationProtocol
    {
        let router = Router()
        ConnectionsEndpoint(server: self).addRoutes(to: router)
        router.get("/") { _, _ in Self.upgradeRequired() }
        router.get("/:stage") { _, _ in Self.upgradeRequired() }
        var http1 = HTTP1Channel.Configuration()
        http1.idleTimeout = .seconds(60)
        return Application(
            router: router,
            server: .http1WebSocketUpgrade(
                configuration: .init(
                    http1: http1,
                    ws: .init(
                        maxFrameSize: options.maximumFrameBytes, autoPing: .disabled, closeTimeout: .seconds(5))),
                shouldUpgrade: { [self] head, channel, logger in await self.shouldUpgrade(head, channel: channel) }),
            configuration: .init(address: .hostname(host, port: options.port), serverName: "smartpay-ws"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                self.domainName.withLock { $0 = "\(host):\(port)" }
                onRunning(port)
            }, logger: quiet)
    }

    private static func upgradeRequired() -> Response {
        HTTPAPI.json(
            .upgradeRequired, ["message": .string("this is a WebSocket API: connect with Upgrade: websocket")])
    }

    /// Answers a refused handshake with its status and body, as API Gateway does (401/403 from the authorizer, the
    /// function's status from `$connect`), then half-closes the socket. hummingbird-websocket answers every refused
    /// upgrade with a bare 400, so the answer is written beneath its HTTP encoder, first on the wire; the 400 that
    /// follows meets the closed output and is dropped.
    static func answer(_ channel: any Channel, status: Int, body: [UInt8]) {
        let reason = HTTPResponse.Status(code: status).reasonPhrase
        var head = "HTTP/1.1 \(status) \(reason)\r\nContent-Type: application/json\r\n"
        head += "Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        let bytes = Array(head.utf8) + body
        channel.eventLoop.execute {
            guard let context = try? channel.pipeline.syncOperations.context(handlerType: HTTPResponseEncoder.self)
            else {
                channel.close(promise: nil)
                return
            }
            context.writeAndFlush(NIOAny(ByteBuffer(bytes: bytes))).whenComplete { _ in
                channel.close(mode: .output, promise: nil)
            }
        }
    }

    // MARK: - $connect

    private func shouldUpgrade(_ head: HTTPRequest, channel: any Channel) async -> ShouldUpgradeResult<Handler> {
        func refuse(_ status: Int, _ body: [UInt8]) -> ShouldUpgradeResult<Handler> {
            Self.answer(channel, status: status, body: body)
            return .dontUpgrade
        }
        func refuse(_ status: Int, message: String) -> ShouldUpgradeResult<Handler> {
            refuse(status, JSONValue.object(["message": .string(message)]).serialized())
        }
        let target = head.path ?? "/"
        let path = target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? "/"
        guard path == "/" || path == "/\(api.stage)" else { return refuse(404, message: "Not Found") }
        let query = HTTPAPI.queryParameters(
            target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "")
        let headers = HTTPAPI.foldedHeaders(head.headerFields)
        let sourceIP = channel.remoteAddress?.ipAddress ?? ""
        let userAgent = headers["user-agent"] ?? ""

        var authorizer: JSONValue = .null
        if let name = api.connectAuthorizer {
            do {
                authorizer = try await guardian.authorizeConnection(
                    authorizer: name, header: headers["authorization"], token: query["token"],
                    apiKey: headers["x-api-key"]
                ).authorizer
            } catch {
                logger.info(
                    "WebSocket connection refused",
                    metadata: ["status": .stringConvertible(error.status.code), "reason": .string(error.reason)])
                return refuse(error.status.code, message: error.message)
            }
        }
        let connection = ConnectionInfo(
            id: Self.newConnectionID(), connectedAt: .now(), sourceIP: sourceIP, userAgent: userAgent,
            authorizer: authorizer)
        if let route = api.routes["$connect"] {
            var event = requestEvent(connection, routeKey: "$connect", eventType: "CONNECT", requestID: Self.newID())
            event["headers"] = .object(headers.mapValues { .string($0) })
            event["multiValueHeaders"] = .object(headers.mapValues { .array([.string($0)]) })
            event["queryStringParameters"] = query.isEmpty ? .null : .object(query.mapValues { .string($0) })
            guard let answer = await invoke(route, event) else { return refuse(500, message: "Internal server error") }
            guard (200..<300).contains(answer.status) else {
                logger.info(
                    "WebSocket connection refused by $connect",
                    metadata: ["status": .stringConvertible(answer.status), "function": .string(route.function)])
                return refuse(answer.status, answer.body)
            }
        }
        do {
            try await register(connection)
        } catch {
            logger.error("cannot register a WebSocket connection", metadata: ["error": .string("\(error)")])
            return refuse(500, message: "Internal server error")
        }
        return .upgrade([:]) { [self] inbound, outbound, _ in
            try await self.serve(connection, inbound: inbound, outbound: outbound, channel: channel)
        }
    }

    /// What is known of a connection before its socket is open.
    struct ConnectionInfo: Sendable {
        let id: String
        let connectedAt: Timestamp
        let sourceIP: String
        let userAgent: String
        let authorizer: JSONValue
    }

    // MARK: - messages

    private func serve(
        _ identity: ConnectionInfo, inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter,
        channel: any Channel
    ) async throws {
        let connection = LiveConnection(
            id: identity.id, connectedAt: identity.connectedAt, sourceIP: identity.sourceIP,
            userAgent: identity.userAgent, authorizer: identity.authorizer, outbound: outbound, channel: channel)
        connections.add(connection)
        var failure: (any Error)?
        do {
            for try await message in inbound.messages(maxSize: options.maximumMessageBytes) {
                await receive(message, on: connection)
            }
        } catch {
            failure = error
        }
        connections.remove(connection.id)
        let closed = connection.closedBy.withLock { $0 }
        let (code, reason) = closed ?? (failure == nil ? (1000, "Client closed") : (1009, "Message too big"))
        Task { await self.disconnected(identity, code: code, reason: reason) }
        // Rethrown, so the socket closes with the error's code (1009 for a message over the quota).
        if let failure { throw failure }
    }

    private func receive(_ message: WebSocketMessage, on connection: LiveConnection) async {
        let now = Timestamp.now()
        let previous = connection.touch(now)
        if now.millisecondsSinceEpoch - previous.millisecondsSinceEpoch >= 1000 {
            _ = try? await redis.send(
                "HSET", ConnectionKeys.connection(connection.id), "last_active_at", now.description)
        }
        let body: String
        let isBinary: Bool
        switch message {
        case .text(let text):
            body = text
            isBinary = false
        case .binary(let buffer):
            body = Data(buffer.readableBytesView).base64EncodedString()
            isBinary = true
        }
        let requestID = Self.newID()
        var routeKey = api.routes["$default"] == nil ? nil : "$default"
        if !isBinary, let value = try? JSONParser().parse(Array(body.utf8)),
            let selected = value[api.selectionField]?.stringValue, !selected.hasPrefix("$"), api.routes[selected] != nil
        {
            routeKey = selected
        }
        let identity = ConnectionInfo(
            id: connection.id, connectedAt: connection.connectedAt, sourceIP: connection.sourceIP,
            userAgent: connection.userAgent, authorizer: connection.authorizer)
        guard let routeKey, let route = api.routes[routeKey] else {
            // API Gateway's answer when no route matches and there is no $default.
            try? await connection.send(
                Self.gatewayMessage("Forbidden", connection: connection.id, requestID: requestID))
            return
        }
        var event = requestEvent(identity, routeKey: routeKey, eventType: "MESSAGE", requestID: requestID)
        event["body"] = .string(body)
        event["isBase64Encoded"] = .bool(isBinary)
        guard let answer = await invoke(route, event) else {
            try? await connection.send(
                Self.gatewayMessage("Internal server error", connection: connection.id, requestID: requestID))
            return
        }
        if route.answers, !answer.body.isEmpty {
            try? await connection.send(answer.body)
        }
    }

    private static func gatewayMessage(_ message: String, connection: String, requestID: String) -> [UInt8] {
        JSONValue.object([
            "message": .string(message), "connectionId": .string(connection), "requestId": .string(requestID),
        ]).serialized()
    }

    // MARK: - $disconnect

    private func disconnected(_ identity: ConnectionInfo, code: Int, reason: String) async {
        _ = try? await redis.send("DEL", ConnectionKeys.connection(identity.id))
        guard let route = api.routes["$disconnect"] else { return }
        var event = requestEvent(identity, routeKey: "$disconnect", eventType: "DISCONNECT", requestID: Self.newID())
        if case .object(var context)? = event["requestContext"] {
            context["disconnectStatusCode"] = .number(String(code))
            context["disconnectReason"] = .string(reason)
            event["requestContext"] = .object(context)
        }
        _ = await invoke(route, event)
    }

    /// Closes connections past the idle timeout or the maximum duration, every second until cancelled.
    func sweep() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(1))
            let now = Timestamp.now().millisecondsSinceEpoch
            let idle = Int64(options.idleTimeout.components.seconds * 1000)
            let longest = Int64(options.maximumDuration.components.seconds * 1000)
            for connection in connections.all {
                if now - connection.connectedAt.millisecondsSinceEpoch >= longest {
                    await connection.close(
                        code: .goingAway, reason: "Going away: the connection reached its maximum duration")
                } else if now - connection.lastActiveAt.millisecondsSinceEpoch >= idle {
                    await connection.close(code: .goingAway, reason: "Going away: idle timeout")
                }
            }
        }
    }

    // MARK: - registry

    private func register(_ connection: ConnectionInfo) async throws {
        let key = ConnectionKeys.connection(connection.id)
        let at = connection.connectedAt.description
        _ = try await redis.transaction([
            [
                "HSET", key, "connected_at", at, "last_active_at", at, "source_ip", connection.sourceIP,
                "user_agent", connection.userAgent, "identity", connection.authorizer.serializedString,
                "stage", api.stage,
            ],
            ["EXPIRE", key, String(options.maximumDuration.components.seconds + 60)],
        ])
    }

    // MARK: - events

    /// API Gateway's WebSocket event: `requestContext` with `routeKey`, `eventType`, `connectionId`,
    /// `domainName`, `stage`, `connectedAt`, `identity` and the authorizer's context.
    private func requestEvent(_ connection: ConnectionInfo, routeKey: String, eventType: String, requestID: String)
        -> [String: JSONValue]
    {
        let now = Timestamp.now()
        var context: [String: JSONValue] = [
            "routeKey": .string(routeKey), "eventType": .string(eventType), "extendedRequestId": .string(requestID),
            "requestTime": .string(Self.requestTime(now)), "messageDirection": .string("IN"),
            "stage": .string(api.stage), "connectedAt": .number(String(connection.connectedAt.millisecondsSinceEpoch)),
            "requestTimeEpoch": .number(String(now.millisecondsSinceEpoch)),
            "identity": .object(["sourceIp": .string(connection.sourceIP), "userAgent": .string(connection.userAgent)]),
            "requestId": .string(requestID), "domainName": .string(domainName.withLock { $0 }),
            "connectionId": .string(connection.id), "apiId": .string(apiID),
        ]
        if eventType == "MESSAGE" { context["messageId"] = .string(Self.newID()) }
        if connection.authorizer != .null { context["authorizer"] = connection.authorizer }
        return ["requestContext": .object(context), "isBase64Encoded": .bool(false)]
    }

    /// The function's answer: `statusCode` (200 when it sent a plain document) and `body`.
    private func invoke(_ route: WebSocketRouteSpec, _ event: [String: JSONValue]) async -> (
        status: Int, body: [UInt8]
    )? {
        let record: InvocationRecord
        do {
            record = try await invoker.invoke(function: route.function, payload: JSONValue.object(event).serialized())
        } catch FunctionPool.Refusal.tooManyRequests {
            // Throttled, as API Gateway answers a throttled integration.
            return (429, JSONValue.object(["message": .string("Too Many Requests")]).serialized())
        } catch {
            logger.error(
                "WebSocket route not invoked",
                metadata: ["route": .string(route.routeKey), "error": .string("\(error)")])
            return nil
        }
        guard case .response(let bytes) = record.outcome else {
            logger.error(
                "WebSocket route failed",
                metadata: ["route": .string(route.routeKey), "request_id": .string(record.requestID)])
            return nil
        }
        guard case .object(let members)? = try? JSONParser().parse(bytes),
            case .number(let statusText)? = members["statusCode"], let status = Int(statusText)
        else { return (200, bytes) }
        var body: [UInt8] = []
        if let text = members["body"]?.stringValue {
            body =
                members["isBase64Encoded"] == .bool(true)
                ? (Data(base64Encoded: text).map(Array.init) ?? []) : Array(text.utf8)
        }
        return (status, body)
    }

    /// `22/Nov/2026:10:15:30 +0000`, as API Gateway writes `requestTime`.
    static func requestTime(_ time: Timestamp) -> String {
        let text = time.format(fractional: false, separator: " ", zone: "")
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        let date = text.prefix(10).split(separator: "-")
        guard date.count == 3, let month = Int(date[1]), (1...12).contains(month) else { return text }
        return "\(date[2])/\(months[month - 1])/\(date[0]):\(text.suffix(8)) +0000"
    }

    /// 16 characters of URL-safe base64 over 96 random bits (API Gateway's ids are also 16 base64 characters).
    static func newConnectionID() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<12).map { _ in UInt8.random(in: 0...255, using: &generator) }
        return Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
    }

    static func newID() -> String { UUID().uuidString.lowercased() }
}
