import Foundation
import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayHTTP
import SmartPayInvoke
import SmartPayRedis

/// The websocket-publish function: the WebSocket API's routes and the live fan-out of bus events.
///
/// As the WebSocket API's integration: `$connect` refuses a connection without an authorizer's identity (401);
/// `subscribe` / `unsubscribe` (`{"action": "subscribe", "topics": ["merchant:m_42"]}`) change the connection's
/// topics — a customer may hear `customer:{own id}`, a merchant `merchant:{own id}`, an admin any; `ping` answers
/// `pong`; `$default` names the unknown action; `$disconnect` forgets the subscriptions.
///
/// From the bus (`payment.processed`, `reward.minted`, `fraud.detected`, `settlement.*`): finds the connections
/// subscribed to the event's audiences (`Fanout`), posts the message to each through API Gateway's management
/// API (`ManagementAPIPoster`), forgets connections that answer 410, and returns delivered / stale / failed.
///
/// Configuration: `REDIS_URL`; the management endpoint in `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` (what SDKs
/// read; `smartpay serve` sets it) or `WEBSOCKET_MANAGEMENT_ENDPOINT` (`https://{api}.execute-api.{region}.
/// amazonaws.com/{stage}`); `WEBSOCKET_POST_PARALLELISM` (32), `WEBSOCKET_BATCH_POST` (`on` where the endpoint
/// takes batches — serve's does, API Gateway's does not); AWS credentials from the environment sign the posts.
public struct WebSocketPublishHandler: FunctionHandler {
    public typealias Event = JSONValue
    public typealias Output = JSONOutput

    public let subscriptions: Subscriptions
    public let poster: any ConnectionPoster
    /// Most topics one connection may hold.
    public static let maximumTopics = 50

    public init(subscriptions: Subscriptions, poster: any ConnectionPoster) {
        self.subscriptions = subscriptions
        self.poster = poster
    }

    public init(context: InitializationContext) async throws {
        let configuration = context.configuration
        let redis = try RedisClient(url: try configuration.require("REDIS_URL"), maximumConnections: 8)
        guard
            let endpoint = configuration.string("AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI")
                ?? configuration.string("WEBSOCKET_MANAGEMENT_ENDPOINT")
        else {
            throw FunctionError(
                .invalidRequest,
                "no management endpoint: set AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI or WEBSOCKET_MANAGEMENT_ENDPOINT")
        }
        let parallelism = try configuration.integer("WEBSOCKET_POST_PARALLELISM", default: 32)
        var http = HTTPClient.Configuration()
        http.maximumConcurrentRequests = max(1, parallelism)
        let environment = ProcessInfo.processInfo.environment
        self.init(
            subscriptions: Subscriptions(redis: redis),
            poster: ManagementAPIPoster(
                endpoint: endpoint, region: environment["AWS_REGION"] ?? "us-east-1",
                credentials: AWSCredentials.from(environment: environment), http: HTTPClient(configuration: http),
                parallelism: parallelism, batchRequests: configuration.string("WEBSOCKET_BATCH_POST") == "on"))
        context.logger.info(
            "websocket-publish ready",
            metadata: [
                "endpoint": .string(endpoint), "batch": .string(configuration.string("WEBSOCKET_BATCH_POST") ?? "off"),
            ])
    }

    public func handle(_ event: JSONValue, context: InvocationContext) async throws -> JSONOutput {
        switch context.source {
        case .webSocket(let request):
            return try await route(event, request: request, context: context)
        case .eventBridge(let envelope):
            return JSONOutput(body: try await publish(envelope, detail: event, logger: context.logger).json)
        case .direct:
            // `{"detail-type": …, "detail": {…}}` without the rest of an EventBridge envelope: a manual fan-out.
            guard let type = event["detail-type"]?.stringValue, let detail = event["detail"] else {
                throw FunctionError(
                    .invalidRequest, "send a bus event (an EventBridge envelope, or {\"detail-type\", \"detail\"})")
            }
            let envelope = EventBridgeEnvelope(
                id: event["id"]?.stringValue ?? "manual", detailType: type, source: "manual", account: "",
                time: Timestamp.now().format(fractional: false), region: "", resources: [])
            return JSONOutput(body: try await publish(envelope, detail: detail, logger: context.logger).json)
        case .httpAPI:
            throw FunctionError(.invalidRequest, "websocket-publish has no HTTP API route")
        }
    }

    // MARK: - routes

    func route(_ event: JSONValue, request: WebSocketRequest, context: InvocationContext) async throws -> JSONOutput {
        let connection = request.connectionID
        switch request.routeKey {
        case "$connect":
            guard context.identity != nil else {
                throw FunctionError(.unauthorized, "a connection needs a credential: a token or a merchant API key")
            }
            return JSONOutput(body: .object([:]))
        case "$disconnect":
            try await store { try await subscriptions.remove(connection) }
            return JSONOutput(body: .object([:]))
        case "subscribe", "unsubscribe":
            let topics = try validTopics(event, context: context)
            let now =
                request.routeKey == "subscribe"
                ? try await store { try await subscriptions.subscribe(connection, to: topics) }
                : try await store { try await subscriptions.unsubscribe(connection, from: topics) }
            if now.count > Self.maximumTopics {
                _ = try await store { try await subscriptions.unsubscribe(connection, from: topics) }
                throw FunctionError.validation("topics", "a connection may hold at most \(Self.maximumTopics) topics")
            }
            return JSONOutput(
                body: .object([
                    "type": .string(request.routeKey == "subscribe" ? "subscribed" : "unsubscribed"),
                    "topics": .array(now.map { .string($0) }),
                ]))
        case "ping":
            // The connection's own id, for a client that wants to be reached through the management API.
            return JSONOutput(
                body: .object([
                    "type": .string("pong"), "time": .string(Timestamp.now().description),
                    "connection_id": .string(connection),
                ]))
        default:
            if case .object(let fields) = event, let action = fields["action"] {
                throw FunctionError(
                    .invalidRequest,
                    "unknown action \(action.serializedString.prefix(64)): send subscribe, unsubscribe or ping",
                    field: "action")
            }
            throw FunctionError(
                .invalidRequest,
                "a message is a JSON object with an action: {\"action\": \"subscribe\", \"topics\": [\"customer:c_7\"]}"
            )
        }
    }

    /// The message's topics, each well formed and the caller's own.
    func validTopics(_ event: JSONValue, context: InvocationContext) throws -> [String] {
        let fields = try EventFields(event, what: "a subscription")
        guard let topics = try fields.strings("topics"), !topics.isEmpty else {
            throw FunctionError.validation("topics", "expected a non-empty array such as [\"merchant:m_42\"]")
        }
        guard topics.count <= Self.maximumTopics else {
            throw FunctionError.validation("topics", "at most \(Self.maximumTopics) at once")
        }
        let identity = context.identity
        for topic in topics {
            guard let (kind, id) = Topic.parse(topic) else {
                throw FunctionError.validation(
                    "topics", "\"\(topic.prefix(80))\" is not merchant:{id} or customer:{id}")
            }
            let allowed =
                kind == "customer"
                ? identity?.mayAccess(customerID: id, merchantID: nil)
                : identity?.mayAccess(customerID: nil, merchantID: id)
            guard allowed == true else {
                throw FunctionError(.forbidden, "topics: \(topic) is not yours to hear", field: "topics")
            }
        }
        return Array(Set(topics)).sorted()
    }

    // MARK: - fan-out

    public struct Report: Sendable, Equatable {
        public var recipients = 0
        public var delivered = 0
        public var stale = 0
        public var failed = 0

        var json: JSONValue {
            .object([
                "recipients": .number(String(recipients)), "delivered": .number(String(delivered)),
                "stale": .number(String(stale)), "failed": .number(String(failed)),
            ])
        }
    }

    public func publish(_ envelope: EventBridgeEnvelope, detail: JSONValue, logger: Logger) async throws -> Report {
        let audiences = Fanout.audiences(detailType: envelope.detailType, detail: detail)
        guard !audiences.isEmpty else { return Report() }
        let members = try await store { try await subscriptions.subscribers(of: audiences.map(\.topic)) }
        var report = Report()
        var reached: Set<String> = []
        var gone: [(id: String, topic: String)] = []
        for (audience, connections) in zip(audiences, members) {
            let fresh = connections.filter { reached.insert($0).inserted }
            guard !fresh.isEmpty else { continue }
            report.recipients += fresh.count
            let message = Fanout.message(
                detailType: envelope.detailType, eventID: envelope.id, time: envelope.time, data: audience.data)
            for (id, outcome) in await poster.post(message, to: fresh) {
                switch outcome {
                case .delivered: report.delivered += 1
                case .gone:
                    report.stale += 1
                    gone.append((id, audience.topic))
                case .failed(let why):
                    report.failed += 1
                    logger.warning(
                        "post to a connection failed", metadata: ["connection": .string(id), "error": .string(why)])
                }
            }
        }
        for (id, topic) in gone { try await store { try await subscriptions.remove(id, alsoFrom: [topic]) } }
        logger.info(
            "fanned out",
            metadata: [
                "event": .string(envelope.detailType), "delivered": .stringConvertible(report.delivered),
                "stale": .stringConvertible(report.stale), "failed": .stringConvertible(report.failed),
            ])
        return report
    }

    private func store<T>(_ body: () async throws -> T) async throws -> T {
        try await FunctionError.unavailable(on: RedisError.self, "subscription store", body)
    }
}
