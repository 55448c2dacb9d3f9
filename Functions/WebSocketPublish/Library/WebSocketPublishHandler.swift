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
/// As the WebSocket API's integration (routes by the route key API Gateway selected): `$connect` refuses a connection
/// without an authorizer's identity (401); `subscribe` / `unsubscribe` (`WebSocketMessage.Topics`: `{"action":
/// "subscribe", "topics": ["merchant:m_42"]}`) change the connection's topics — a customer may hear `customer:{own
/// id}`, a merchant `merchant:{own id}`, an admin any; `ping` answers `pong`; `$default` names the unknown action;
/// `$disconnect` forgets the subscriptions.
///
/// From the bus, by detail type, as the contract types (`payment.processed`, `reward.minted`, `fraud.detected`,
/// `settlement.completed` — the `settlement.*` types the contracts define): finds the connections subscribed to the
/// event's audiences (`LiveEvent`, `Fanout`), posts the message to each through API Gateway's management API
/// (`ManagementAPIPoster`), forgets connections that answer 410, and returns a `FanoutReport`. Directly: a
/// `ManualFanout` (`{"detail-type": …, "detail": {…}}`, the default action).
///
/// Configuration: `REDIS_URL`; the management endpoint in `AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI` (what SDKs
/// read; `smartpay serve` sets it) or `WEBSOCKET_MANAGEMENT_ENDPOINT` (`https://{api}.execute-api.{region}.
/// amazonaws.com/{stage}`); `WEBSOCKET_POST_PARALLELISM` (32), `WEBSOCKET_BATCH_POST` (`on` where the endpoint
/// takes batches — serve's does, API Gateway's does not); AWS credentials from the environment sign the posts.
public struct WebSocketPublishHandler: RoutedFunction {
    public static let routes = FunctionRoutes<WebSocketPublishHandler>(defaultAction: ManualFanout.action) { routes in
        routes.webSocket("$connect", body: EmptyBody.self) { (_, _, _, context) -> JSONValue in
            guard context.identity != nil else {
                throw FunctionError(.unauthorized, "a connection needs a credential: a token or a merchant API key")
            }
            return .object([:])
        }
        routes.webSocket("$disconnect", body: EmptyBody.self) { (publisher, _, request, _) -> JSONValue in
            try await publisher.subscriptions.remove(request.connectionID)
            return .object([:])
        }
        routes.webSocket("subscribe", body: WebSocketMessage.Topics.self) { publisher, message, request, context in
            try await publisher.subscribe(request.connectionID, to: message.requested, identity: context.identity)
        }
        routes.webSocket("unsubscribe", body: WebSocketMessage.Topics.self) { publisher, message, request, context in
            try await publisher.unsubscribe(request.connectionID, from: message.requested, identity: context.identity)
        }
        routes.webSocket("ping", body: WebSocketMessage.Ping.self) { _, _, request, _ in
            WebSocketMessage.Pong(time: Timestamp.now().description, connectionID: request.connectionID)
        }
        routes.webSocket("$default", body: WebSocketMessage.Unrouted.self) { (_, message, _, _) -> JSONValue in
            throw message.refusal
        }

        routes.event(PaymentProcessed.detailType, detail: PublishedDetail<PaymentProcessed>.self) {
            publisher, payment, envelope, context in
            try await publisher.publish(try LiveEvent(payment), envelope: envelope, logger: context.logger)
        }
        routes.event(RewardMoved.minted, detail: PublishedDetail<RewardMoved>.self) {
            publisher, reward, envelope, context in
            try await publisher.publish(LiveEvent(reward), envelope: envelope, logger: context.logger)
        }
        routes.event(FraudDetected.detailType, detail: PublishedDetail<FraudDetected>.self) {
            publisher, fraud, envelope, context in
            try await publisher.publish(LiveEvent(fraud), envelope: envelope, logger: context.logger)
        }
        // The Live rule delivers `prefix: settlement.`: every settlement event, under one route.
        routes.events(prefix: SettlementNotice.prefix, detail: PublishedDetail<SettlementNotice>.self) {
            publisher, settlement, envelope, context in
            try await publisher.publish(LiveEvent(settlement), envelope: envelope, logger: context.logger)
        }
        routes.action(ManualFanout.action, body: ManualFanout.self) { publisher, fanout, context in
            try await publisher.publish(fanout.event, envelope: fanout.envelope, logger: context.logger)
        }
    }

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
        let redis = try RedisClient(
            url: try configuration.require("REDIS_URL"), maximumConnections: 8, service: "the subscription store")
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
}
