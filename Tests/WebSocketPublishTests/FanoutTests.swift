import Foundation
import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis
import TestSupport
import Testing
import WebSocketPublishFunction

/// Records what it was asked to post; ids starting with `gone` answer 410, `bad` fail.
final class RecordingPoster: ConnectionPoster, @unchecked Sendable {
    // @unchecked: guarded by the lock.
    private let lock = NSLock()
    private var sent: [String: [UInt8]] = [:]

    var messages: [String: JSONValue] {
        lock.withLock { sent.compactMapValues { try? JSONParser().parse($0) } }
    }

    func post(_ data: [UInt8], to connectionIDs: [String]) async -> [String: PostOutcome] {
        var outcomes: [String: PostOutcome] = [:]
        for id in connectionIDs {
            if id.hasPrefix("gone") {
                outcomes[id] = .gone
            } else if id.hasPrefix("bad") {
                outcomes[id] = .failed("HTTP 500")
            } else {
                lock.withLock { sent[id] = data }
                outcomes[id] = .delivered
            }
        }
        return outcomes
    }
}

/// A payment.processed as pay publishes it.
func processed(
    merchant: String = "m_42", customer: String = "c_7", status: PaymentProcessed.Status = .succeeded
) -> PaymentProcessed {
    PaymentProcessed(
        paymentID: "pay_1", merchantID: merchant, customerID: customer, amount: 2599, currency: .usd, status: status,
        fee: 105, net: 2494, paymentMethod: "card", processorError: false, attempts: 1, decisionID: "rd_1",
        merchantCategory: "retail", gateway: "stripe", latencyMs: 212, risk: RiskSummary(score: 0.04, tier: .low))
}

/// A detail as the bus delivers it to the route: its contract type and the JSON as published.
func published<Detail: Decodable & Sendable>(_ type: Detail.Type, _ json: JSONValue) throws -> PublishedDetail<
    Detail
> {
    try JSONValueDecoder(allowsUnknownKeys: true).decode(PublishedDetail<Detail>.self, from: json)
}

/// The detail of an events/bus example.
func busExample(_ name: String) throws -> JSONValue {
    let url = Executables.repositoryRoot.appendingPathComponent("events/bus/\(name)")
    return try #require(try JSONParser().parse(Array(try Data(contentsOf: url)))["detail"])
}

@Suite("websocket-publish: who hears what, and the subscriptions in Redis")
struct FanoutTests {
    let logger = Logger(label: "test")

    @Test(
        "payment.processed: the merchant hears the event as published, the customer their payment without fee, net or risk"
    )
    func audiences() throws {
        var detail = try JSONValueEncoder().encode(processed())
        if case .object(var members) = detail {
            members["added_later"] = .string("a field this function does not know")
            detail = .object(members)
        }
        let audiences = Fanout.audiences(of: try LiveEvent(try published(PaymentProcessed.self, detail)))
        #expect(audiences.map(\.topic) == ["merchant:m_42", "customer:c_7"])
        #expect(audiences[0].data == detail)
        // The customer's view, byte for byte: what the field filter let through before it was a type.
        #expect(
            String(decoding: audiences[1].data.serialized(), as: UTF8.self)
                == #"{"amount":2599,"currency":"USD","customer_id":"c_7","merchant_id":"m_42","payment_id":"pay_1","payment_method":"card","status":"succeeded"}"#
        )
        let message = Fanout.message(
            detailType: "payment.processed", eventID: "evt_1", time: "t", data: audiences[1].data)
        #expect(
            String(decoding: message, as: UTF8.self)
                == #"{"data":{"amount":2599,"currency":"USD","customer_id":"c_7","merchant_id":"m_42","payment_id":"pay_1","payment_method":"card","status":"succeeded"},"event":"payment.processed","event_id":"evt_1","time":"t","type":"payment_processed"}"#
        )

        let fraud = try published(FraudDetected.self, try busExample("fraud-detected.json"))
        #expect(Fanout.audiences(of: LiveEvent(fraud)).map(\.topic) == ["merchant:m_42"])
        let reward = try published(RewardMoved.self, try busExample("reward-minted.json"))
        let heard = Fanout.audiences(of: LiveEvent(reward))
        #expect(heard.map(\.topic) == ["customer:c_7"] && heard[0].data == reward.json)
        let settled = try JSONParser().parse(Array(#"{"merchant_id": "m_42", "payment_id": "pay_1"}"#.utf8))
        #expect(
            Fanout.audiences(of: LiveEvent(try published(SettlementNotice.self, settled))).map(\.topic) == [
                "merchant:m_42"
            ])
        // An id that is not an id reaches nobody rather than a topic of its own making.
        let odd = try JSONValueEncoder().encode(processed(merchant: "m_42:extra", customer: "*"))
        #expect(Fanout.audiences(of: try LiveEvent(try published(PaymentProcessed.self, odd))).isEmpty)
        #expect(Topic.parse("merchant:m_42")! == ("merchant", "m_42"))
        #expect(Topic.parse("everyone") == nil && Topic.parse("admin:x") == nil && Topic.parse("customer:") == nil)
    }

    @Test(
        "fan-out over real Redis: each subscriber once, the merchant's view to a connection in both audiences, 410s forgotten, failures counted"
    )
    func fanOut() async throws {
        try await RedisServer.with { server in
            let subscriptions = Subscriptions(redis: RedisClient(configuration: server.configuration))
            let poster = RecordingPoster()
            let handler = WebSocketPublishHandler(subscriptions: subscriptions, poster: poster)
            #expect(try await subscriptions.subscribe("conn-m", to: ["merchant:m_42"]) == ["merchant:m_42"])
            _ = try await subscriptions.subscribe("conn-c", to: ["customer:c_7"])
            _ = try await subscriptions.subscribe("conn-admin", to: ["customer:c_7", "merchant:m_42"])
            _ = try await subscriptions.subscribe("conn-other", to: ["customer:c_8"])
            _ = try await subscriptions.subscribe("gone-1", to: ["customer:c_7"])
            _ = try await subscriptions.subscribe("bad-1", to: ["merchant:m_42"])
            let envelope = EventBridgeEnvelope(
                id: "evt_1", detailType: "payment.processed", source: "smartpay.pay", account: "", time: "t",
                region: "", resources: [])
            let detail = try JSONValueEncoder().encode(processed())
            let event = try LiveEvent(try published(PaymentProcessed.self, detail))
            let report = try await handler.publish(event, envelope: envelope, logger: logger)
            #expect(report.recipients == 5 && report.delivered == 3 && report.stale == 1 && report.failed == 1)
            let messages = poster.messages
            #expect(Set(messages.keys) == ["conn-m", "conn-c", "conn-admin"])
            #expect(
                messages["conn-admin"]?["data"]?["fee"] == .number("105"), "an admin in both hears the merchant's view")
            #expect(messages["conn-c"]?["data"]?["fee"] == nil)
            #expect(messages["conn-c"]?["type"]?.stringValue == "payment_processed")
            #expect(
                try await subscriptions.subscribers(of: ["customer:c_7"]).first.map(Set.init) == [
                    "conn-c", "conn-admin",
                ])
            #expect(try await subscriptions.topics(of: "gone-1").isEmpty)

            #expect(try await subscriptions.unsubscribe("conn-admin", from: ["merchant:m_42"]) == ["customer:c_7"])
            try await subscriptions.remove("conn-admin")
            #expect(try await subscriptions.topics(of: "conn-admin").isEmpty)
            #expect(try await subscriptions.subscribers(of: ["customer:c_7"]).first == ["conn-c"])
        }
    }
}

@Suite("websocket-publish's routes: WebSocket route keys, bus detail types, the manual fan-out")
struct WebSocketPublishRoutesTests {
    static func context(_ source: EventSource) -> InvocationContext {
        InvocationContext(
            requestID: "r1", deadline: .now + .seconds(10), logger: Logger(label: "test"),
            functionName: "websocket-publish", configuration: FunctionConfiguration([:]), source: source)
    }

    static func webSocket(_ routeKey: String, subject: String = "c_7", role: String = "customer") -> EventSource {
        .webSocket(
            WebSocketRequest(
                eventType: .message, routeKey: routeKey, connectionID: "conn-1", domainName: "", stage: "local",
                headers: [:], queryStringParameters: [:],
                requestContext: .object([
                    "authorizer": .object([
                        "jwt": .object(["claims": .object(["sub": .string(subject), "role": .string(role)])])
                    ])
                ])))
    }

    static let bus = EventBridgeEnvelope(
        id: "evt_1", detailType: "payment.processed", source: "smartpay.pay", account: "", time: "t", region: "",
        resources: [])

    func refusal(_ body: () async throws -> Void) async -> FunctionError? {
        do {
            try await body()
            return nil
        } catch let error as FunctionError {
            return error
        } catch {
            return FunctionError(wrapping: error)
        }
    }

    @Test(
        "typed messages: action accepted, unknown fields refused by name, topics checked; $default names the action; bus details are the contract types"
    )
    func routes() async throws {
        try await RedisServer.with { server in
            let poster = RecordingPoster()
            let handler = WebSocketPublishHandler(
                subscriptions: Subscriptions(redis: RedisClient(configuration: server.configuration)), poster: poster)
            func json(_ text: String) throws -> JSONValue { try JSONParser().parse(Array(text.utf8)) }
            func answer(_ output: RouteOutput) throws -> JSONValue { try JSONValueEncoder().encode(output) }

            let subscribed = try await handler.handle(
                try json(#"{"action": "subscribe", "topics": ["customer:c_7", "customer:c_7"]}"#),
                context: Self.context(Self.webSocket("subscribe")))
            #expect(
                try answer(subscribed)
                    == .object(["type": .string("subscribed"), "topics": .array([.string("customer:c_7")])]))
            let unknown = await refusal {
                _ = try await handler.handle(
                    try json(#"{"action": "subscribe", "topics": ["customer:c_7"], "topic": "x"}"#),
                    context: Self.context(Self.webSocket("subscribe")))
            }
            #expect(unknown?.code == .invalidRequest && unknown?.field == "topic", "\(String(describing: unknown))")
            let malformed = await refusal {
                _ = try await handler.handle(
                    try json(#"{"action": "subscribe", "topics": ["everything"]}"#),
                    context: Self.context(Self.webSocket("subscribe")))
            }
            #expect(malformed?.code == .validation && malformed?.field == "topics")
            let foreign = await refusal {
                _ = try await handler.handle(
                    try json(#"{"action": "unsubscribe", "topics": ["customer:c_8"]}"#),
                    context: Self.context(Self.webSocket("unsubscribe")))
            }
            #expect(foreign?.code == .forbidden && foreign?.field == "topics")
            let dance = await refusal {
                _ = try await handler.handle(
                    try json(#"{"action": "dance"}"#), context: Self.context(Self.webSocket("$default")))
            }
            #expect(dance?.message.contains("unknown action \"dance\"") == true && dance?.field == "action")
            let text = await refusal {
                _ = try await handler.handle(.string("hello"), context: Self.context(Self.webSocket("$default")))
            }
            #expect(text?.code == .invalidRequest && text?.field == nil)
            let pong = try answer(
                try await handler.handle(
                    try json(#"{"action": "ping"}"#), context: Self.context(Self.webSocket("ping"))))
            #expect(pong["type"]?.stringValue == "pong" && pong["connection_id"]?.stringValue == "conn-1")

            // From the bus: the detail is the contract type, so an incomplete payment.processed is refused by name.
            let partial = await refusal {
                _ = try await handler.handle(
                    try json(#"{"payment_id": "pay_1", "merchant_id": "m_42", "customer_id": "c_7"}"#),
                    context: Self.context(.eventBridge(Self.bus)))
            }
            #expect(partial?.code == .validation && partial?.field != nil, "\(String(describing: partial))")
            let reached = try answer(
                try await handler.handle(
                    try JSONValueEncoder().encode(processed()), context: Self.context(.eventBridge(Self.bus))))
            #expect(reached["recipients"] == .number("1") && reached["delivered"] == .number("1"), "\(reached)")
            #expect(poster.messages["conn-1"]?["data"]?["fee"] == nil)
        }
    }

    @Test("a manual fan-out needs only the ids its detail names; a detail type no live rule names reaches nobody")
    func manual() async throws {
        try await RedisServer.with { server in
            let poster = RecordingPoster()
            let subscriptions = Subscriptions(redis: RedisClient(configuration: server.configuration))
            let handler = WebSocketPublishHandler(subscriptions: subscriptions, poster: poster)
            _ = try await subscriptions.subscribe("conn-m", to: ["merchant:m_9"])
            _ = try await subscriptions.subscribe("conn-c", to: ["customer:c_7"])
            func fanout(_ text: String) async throws -> JSONValue {
                try JSONValueEncoder().encode(
                    try await handler.handle(try JSONParser().parse(Array(text.utf8)), context: Self.context(.direct)))
            }
            let fraud = try await fanout(
                #"{"detail-type": "fraud.detected", "detail": {"transaction_id": "t1", "terminal_id": "m_9"}}"#)
            #expect(fraud["delivered"] == .number("1"), "\(fraud)")
            #expect(poster.messages["conn-m"]?["event_id"]?.stringValue == "manual")
            let payment = try await fanout(
                #"{"detail-type": "payment.processed", "id": "evt_9", "detail": {"payment_id": "pay_2", "customer_id": "c_7", "amount": 100, "fee": 5, "sent_ns": 1}}"#
            )
            #expect(payment["delivered"] == .number("1"), "\(payment)")
            #expect(
                poster.messages["conn-c"]?["data"]
                    == .object([
                        "payment_id": .string("pay_2"), "customer_id": .string("c_7"), "amount": .number("100"),
                    ]))
            #expect(poster.messages["conn-c"]?["event_id"]?.stringValue == "evt_9")
            let nobody = try await fanout(#"{"detail-type": "payment.refunded", "detail": {"merchant_id": "m_9"}}"#)
            #expect(nobody["recipients"] == .number("0"))
            let missing = await refusal { _ = try await fanout(#"{"detail": {"merchant_id": "m_9"}}"#) }
            #expect(missing?.field == "detail-type" && missing?.code == .validation, "\(String(describing: missing))")
            let extra = await refusal {
                _ = try await fanout(#"{"detail-type": "fraud.detected", "detail": {}, "detial": {}}"#)
            }
            #expect(extra?.field == "detial" && extra?.code == .invalidRequest)
        }
    }
}

@Suite("events/websocket-publish through the websocket-publish binary")
struct WebSocketPublishExamplesTests {
    func invoke(_ file: String, redis: RedisServer) async throws -> JSONValue {
        let root = Executables.repositoryRoot
        let result = try await ProcessRunner.run(
            try Executables.built("websocket-publish"),
            arguments: [root.appendingPathComponent("events/websocket-publish/\(file)").path],
            environment: [
                "REDIS_URL": redis.url, "AWS_ENDPOINT_URL_APIGATEWAYMANAGEMENTAPI": "http://127.0.0.1:9",
                "LOG_LEVEL": "error",
            ])
        #expect(result.status == 0, "\(result.stderrText)")
        return try JSONParser().parse(Array(result.stdout))
    }

    @Test("subscribe answers the topics; a foreign topic is 403; $connect without identity is 401; a fan-out counts")
    func examples() async throws {
        try await RedisServer.with { redis in
            let subscribed = try await invoke("subscribe.json", redis: redis)
            #expect(subscribed["statusCode"] == .number("200"), "\(subscribed.serializedString)")
            let body = try JSONParser().parse(Array((subscribed["body"]?.stringValue ?? "").utf8))
            #expect(body["topics"] == .array([.string("customer:c_7")]))
            let foreign = try await invoke("subscribe-foreign-topic.json", redis: redis)
            #expect(foreign["statusCode"] == .number("403"), "\(foreign.serializedString)")
            let anonymous = try await invoke("connect-without-identity.json", redis: redis)
            #expect(anonymous["statusCode"] == .number("401"), "\(anonymous.serializedString)")
            // The subscriber above is not connected anywhere: the post fails (nothing listens on port 9), counted.
            let fanout = try await invoke("fanout-payment-processed.json", redis: redis)
            #expect(
                fanout["recipients"] == .number("1") && fanout["failed"] == .number("1"), "\(fanout.serializedString)")
        }
    }
}
