import FraudFunction
import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import TestSupport
import Testing

@Suite("the fraud function", .serialized)
struct FraudHandlerTests {
    static let model: FraudModel = try! ModelTests.committedModel()

    static func context(_ source: EventSource = .direct) -> InvocationContext {
        InvocationContext(
            requestID: "test", deadline: .now + .seconds(10), logger: Logger(label: "test"), functionName: "fraud",
            configuration: FunctionConfiguration([:]), source: source)
    }

    static func transaction(_ id: String, amount: Int = 4_200, extra: String = "") -> JSONValue {
        try! JSONParser().parse(
            """
            {"transaction_id": "\(id)", "amount": \(amount), "currency": "USD", "timestamp": "2026-11-20T14:00:00Z",
             "customer_id": "cus_1", "terminal_id": "term_1", "card_fingerprint": "fp_1", "ip": "203.0.113.7"\(extra)}
            """)
    }

    func verdict(_ output: RouteOutput) -> FraudVerdict? { output.value as? FraudVerdict }

    @Test("bad input is refused with the field named")
    func validation() {
        func message(_ json: String) -> String {
            do {
                _ = try FraudTransaction(json: try JSONParser().parse(json), defaultTime: .now())
                return "accepted"
            } catch {
                return FunctionError(wrapping: error).message
            }
        }
        let base = #""transaction_id": "t1", "currency": "USD", "customer_id": "c", "terminal_id": "m""#
        #expect(message("{\(base)}").hasPrefix("amount: is required"))
        #expect(
            message("{\(base), \"amount\": 12.5}").hasPrefix(
                "amount: expected an integer number of minor units, got 12.5"))
        #expect(message("{\(base), \"amount\": \"100\"}").hasPrefix("amount: expected an integer"))
        #expect(message("{\(base), \"amount\": -1}") == "amount: must not be negative, got -1")
        #expect(
            message(
                #"{"transaction_id": "t1", "amount": 1, "currency": "XYZ", "customer_id": "c", "terminal_id": "m"}"#
            )
            .hasPrefix("currency:"))
        #expect(message("{\(base), \"amount\": 1, \"timestamp\": \"yesterday\"}").hasPrefix("timestamp:"))
        #expect(
            message("{\(base), \"amount\": 1, \"card_number\": \"4242424242424242\"}").hasPrefix(
                "card_number: card numbers are not accepted"))
        #expect(message("{\(base), \"amount\": 1, \"card_bin\": \"42\"}").hasPrefix("card_bin:"))
        #expect(message("{\(base), \"amount\": 1, \"ip_country\": \"France\"}").hasPrefix("ip_country:"))
        #expect(
            message(#"{"amount": 1, "currency": "USD", "customer_id": "c", "terminal_id": "m"}"#).hasPrefix(
                "transaction_id: is required"))
    }

    @Test("scores with reasons; the second call is cached and not counted twice; blocklists decline")
    func scoringOnRedis() async throws {
        try await RedisServer.with { server in
            let store = RedisFraudStore(redis: RedisClient(configuration: server.configuration))
            let handler = FraudHandler(
                store: store, scorer: FraudScorer(model: Self.model, policy: FraudPolicy(velocity10Minutes: 3)))
            let first = try #require(verdict(try await handler.handle(Self.transaction("t1"), context: Self.context())))
            #expect(first.cached == false)
            #expect(first.score > 0 && first.score < 1)
            #expect(first.modelVersion == Self.model.version)
            #expect(first.tier == .low && first.decision == .approve)

            let again = try #require(verdict(try await handler.handle(Self.transaction("t1"), context: Self.context())))
            #expect(again.cached == true)
            #expect(again.score == first.score)

            // The card's 10-minute velocity counts t1 once: t2 makes 2, t3 makes 3 (the rule's limit).
            let second = try #require(
                verdict(try await handler.handle(Self.transaction("t2"), context: Self.context())))
            #expect(!second.reasons.contains { $0.code.hasPrefix("VELOCITY_CARD") })
            let third = try #require(verdict(try await handler.handle(Self.transaction("t3"), context: Self.context())))
            #expect(third.reasons.contains { $0.code == "VELOCITY_CARD_10MIN" && $0.value == 3 })
            #expect(third.tier == .medium && third.decision == .review)

            // 900.00 against a customer who spent 42.00 a time: high, with the amount among the reasons.
            let large = try #require(
                verdict(try await handler.handle(Self.transaction("t4", amount: 90_000), context: Self.context())))
            #expect(large.tier == .high && large.decision == .decline)
            let amountReasons = large.reasons.filter {
                ($0.code == "TX_AMOUNT" || $0.code.hasPrefix("CUSTOMER_ID_AMOUNT_TO")) && ($0.contribution ?? 0) > 0
            }
            #expect(!amountReasons.isEmpty, "\(large.reasons)")
            // …and fraud.detected went to the bus's ingest stream with the verdict.
            let stream = try await store.redis.send(["XRANGE", "smartpay:bus:default:ingest", "-", "+"])
            let published = (stream.array ?? []).flatMap { $0.array?.last?.array ?? [] }.compactMap(\.string)
                .joined(separator: " ")
            #expect(published.contains("fraud.detected") && published.contains("t4"))

            #expect(try await store.addToBlocklist(.email, "Mallory@Example.com "))
            let blocked = try #require(
                verdict(
                    try await handler.handle(
                        Self.transaction("t5", extra: #", "email": "mallory@example.com""#), context: Self.context())))
            #expect(blocked.decision == .decline)
            #expect(blocked.reasons.first?.code == "BLOCKLIST_EMAIL")
            let stored = try await store.blocklist(.email)
            #expect(stored == [FraudTransaction.digest(email: "mallory@example.com")], "emails are kept as digests")
        }
    }

    @Test("fraud.reported labels the terminal; an unknown transaction without terminal and time is refused")
    func labels() async throws {
        let store = InMemoryFraudStore()
        let handler = FraudHandler(store: store, scorer: FraudScorer(model: Self.model, policy: FraudPolicy()))
        _ = try await handler.handle(Self.transaction("t1"), context: Self.context())
        let envelope = EventBridgeEnvelope(
            id: "evt-1", detailType: "fraud.reported", source: "smartpay.disputes", account: "", time: "",
            region: "", resources: [])
        let output = try await handler.handle(
            try JSONParser().parse(#"{"transaction_id": "t1"}"#), context: Self.context(.eventBridge(envelope)))
        let outcome = try #require(output.value as? LabelOutcome)
        #expect(outcome == LabelOutcome(transactionId: "t1", terminalId: "term_1", recorded: true))
        do {
            _ = try await handler.handle(
                try JSONParser().parse(#"{"transaction_id": "never-seen"}"#),
                context: Self.context(.eventBridge(envelope)))
            Issue.record("an unknown transaction was accepted")
        } catch let error as FunctionError {
            #expect(error.code == .validation)
            #expect(error.message.contains("never-seen"))
        }
    }
}
