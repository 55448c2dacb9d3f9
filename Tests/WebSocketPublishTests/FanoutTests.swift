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

@Suite("websocket-publish: who hears what, and the subscriptions in Redis")
struct FanoutTests {
    let logger = Logger(label: "test")

    @Test("payment.processed: the merchant sees everything, the customer their payment without fee, net or risk")
    func audiences() throws {
        let detail = try JSONParser().parse(
            Array(
                #"{"payment_id": "pay_1", "customer_id": "c_7", "merchant_id": "m_42", "amount": 2599, "currency": "USD", "status": "succeeded", "fee": 105, "net": 2494, "risk": {"tier": "low"}, "decision_id": "rd_1"}"#
                    .utf8))
        let audiences = Fanout.audiences(detailType: "payment.processed", detail: detail)
        #expect(audiences.map(\.topic) == ["merchant:m_42", "customer:c_7"])
        #expect(audiences[0].data == detail)
        #expect(
            audiences[1].data["fee"] == nil && audiences[1].data["risk"] == nil
                && audiences[1].data["decision_id"] == nil)
        #expect(
            audiences[1].data["amount"] == .number("2599") && audiences[1].data["status"]?.stringValue == "succeeded")

        let fraud = try JSONParser().parse(
            Array(#"{"transaction_id": "t", "customer_id": "c_7", "terminal_id": "m_42"}"#.utf8))
        #expect(Fanout.audiences(detailType: "fraud.detected", detail: fraud).map(\.topic) == ["merchant:m_42"])
        let reward = try JSONParser().parse(
            Array(#"{"customer_id": "c_7", "merchant_id": "m_42", "tokens": "4"}"#.utf8))
        #expect(Fanout.audiences(detailType: "reward.minted", detail: reward).map(\.topic) == ["customer:c_7"])
        let settled = try JSONParser().parse(Array(#"{"merchant_id": "m_42", "payment_id": "pay_1"}"#.utf8))
        #expect(Fanout.audiences(detailType: "settlement.completed", detail: settled).map(\.topic) == ["merchant:m_42"])
        #expect(Fanout.audiences(detailType: "payment.refunded", detail: settled).isEmpty)
        // An id that is not an id reaches nobody rather than a topic of its own making.
        let odd = try JSONParser().parse(Array(#"{"merchant_id": "m_42:extra", "customer_id": "*"}"#.utf8))
        #expect(Fanout.audiences(detailType: "payment.processed", detail: odd).isEmpty)
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
            let detail = try JSONParser().parse(
                Array(#"{"payment_id": "pay_1", "customer_id": "c_7", "merchant_id": "m_42", "fee": 105}"#.utf8))
            let report = try await handler.publish(envelope, detail: detail, logger: logger)
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
