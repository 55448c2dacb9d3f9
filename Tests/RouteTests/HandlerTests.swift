import FunctionKit
import Logging
import RouteFunction
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import TestSupport
import Testing

@Suite("the route function on Redis", .serialized)
struct RouteHandlerTests {
    static func context(_ source: EventSource = .direct, request: String = "r1") -> InvocationContext {
        InvocationContext(
            requestID: request, deadline: .now + .seconds(10), logger: Logger(label: "test"), functionName: "route",
            configuration: FunctionConfiguration([:]), source: source)
    }

    static let bus = EventBridgeEnvelope(
        id: "e1", detailType: "payment.processed", source: "smartpay.pay", account: "", time: "", region: "",
        resources: [])

    static func payment(_ key: String? = nil) -> JSONValue {
        let idempotency = key.map { #", "idempotency_key": "\#($0)""# } ?? ""
        return try! JSONParser().parse(
            #"{"amount_minor": 2000, "currency": "USD", "method": "card", "card_network": "visa", "country": "US", "gateways": ["stripe", "amazon_pay"]\#(idempotency)}"#
        )
    }

    func decision(_ output: RouteOutput) -> RouteDecision? {
        output.value as? RouteDecision
    }

    func receipt(_ output: RouteOutput) -> RouteHandler.FeedbackReceipt? {
        output.value as? RouteHandler.FeedbackReceipt
    }

    /// A payment.processed as pay publishes it, for the decision `id`.
    static func processed(
        _ id: String?, gateway: String = "stripe", succeeded: Bool, processorError: Bool = false, latency: Int? = nil
    ) throws -> JSONValue {
        try JSONValueEncoder().encode(
            PaymentProcessed(
                paymentID: "pay_1", merchantID: "m_1", customerID: "c_1", amount: 2000, currency: .usd,
                status: succeeded ? .succeeded : .failed, fee: 88, net: 1912, paymentMethod: "card",
                processorError: processorError, attempts: 1, decisionID: id, gateway: gateway, latencyMs: latency))
    }

    @Test("a retry with the same idempotency key gets the same decision; feedback teaches the shared model")
    func stickinessAndFeedback() async throws {
        try await RedisServer.with { server in
            let store = RouteModelStore(redis: RedisClient(configuration: server.configuration))
            let handler = RouteHandler(store: store, refreshInterval: .zero)
            let first = try #require(
                decision(try await handler.handle(Self.payment("order-1"), context: Self.context(request: "a"))))
            #expect(first.cached == false)
            #expect(["stripe", "amazon_pay"].contains(first.gateway))
            let retry = try #require(
                decision(try await handler.handle(Self.payment("order-1"), context: Self.context(request: "b"))))
            #expect(retry.cached == true)
            #expect(retry.decisionID == first.decisionID && retry.gateway == first.gateway)
            #expect(try await store.redis.send(["TTL", "route:idempotency:order-1"]).integer ?? 0 > 890)

            let feedback = try Self.processed(first.decisionID, gateway: first.gateway, succeeded: true, latency: 380)
            let learned = try #require(
                receipt(try await handler.handle(feedback, context: Self.context(.eventBridge(Self.bus)))))
            #expect(learned.known && learned.breaker == "closed")
            let snapshot = try await store.snapshot(gateways: [first.gateway])
            #expect(snapshot.arms[first.gateway]?.weight == 1)
            #expect(snapshot.latencyMs[first.gateway] == 380)

            let unknown = try Self.processed("rd_nope", succeeded: true)
            let ignored = try #require(
                receipt(try await handler.handle(unknown, context: Self.context(.eventBridge(Self.bus)))))
            #expect(!ignored.known)
            #expect(try await store.redis.send(["GET", "route:feedback:unknown"]).integer == 1)
            let log = try await store.redis.send(["XLEN", "route:log"]).integer
            #expect(log == 2, "one decision and one outcome in the decision log")
        }
    }

    @Test("processor errors open the shared breaker and routing moves away; customer declines do not")
    func breaker() async throws {
        try await RedisServer.with { server in
            let store = RouteModelStore(redis: RedisClient(configuration: server.configuration))
            let handler = RouteHandler(store: store, refreshInterval: .zero)
            // stripe alone for a while, every payment authorised: it becomes the preferred gateway.
            func decideStripeOnly(_ request: String) async throws -> String {
                let body = try JSONParser().parse(
                    #"{"amount_minor": 2000, "currency": "USD", "method": "card", "card_network": "visa", "country": "US", "gateways": ["stripe"]}"#
                )
                let made = try #require(
                    decision(try await handler.handle(body, context: Self.context(request: request))))
                return made.decisionID
            }
            for index in 0..<30 {
                let id = try await decideStripeOnly("warm\(index)")
                let ok = try Self.processed(id, succeeded: true)
                _ = try await handler.handle(ok, context: Self.context(.eventBridge(Self.bus)))
            }
            let preferred = try #require(
                decision(try await handler.handle(Self.payment(), context: Self.context(request: "p"))))
            #expect(preferred.fallbacks == ["amazon_pay"] || preferred.gateway == "amazon_pay" && preferred.explored)
            var stripeDecisions: [String] = []
            for index in 0..<8 { stripeDecisions.append(try await decideStripeOnly("s\(index)")) }
            // Three customer declines: not the gateway's fault, the breaker stays closed.
            for id in stripeDecisions.prefix(3) {
                let declined = try Self.processed(id, succeeded: false)
                let receipt = try #require(
                    receipt(try await handler.handle(declined, context: Self.context(.eventBridge(Self.bus)))))
                #expect(receipt.breaker == "closed")
            }
            for id in stripeDecisions.dropFirst(3) {
                let failed = try Self.processed(id, succeeded: false, processorError: true)
                _ = try await handler.handle(failed, context: Self.context(.eventBridge(Self.bus)))
            }
            #expect(try await store.redis.send(["HGET", "route:breaker:stripe", "state"]).string == "open")
            for index in 0..<50 {
                let made = try #require(
                    decision(try await handler.handle(Self.payment(), context: Self.context(request: "after\(index)"))))
                #expect(made.gateway == "amazon_pay")
            }
        }
    }

    @Test("bad input names the field")
    func validation() async throws {
        let handler = RouteHandler(
            store: RouteModelStore(redis: RedisClient(configuration: RedisConfiguration(host: "127.0.0.1", port: 1))))
        do {
            _ = try await handler.handle(
                try JSONParser().parse(
                    #"{"amount_minor": 5, "currency": "USD", "method": "card", "country": "US", "gateways": ["paypal"]}"#
                ), context: Self.context())
            Issue.record("an unknown gateway was accepted")
        } catch {
            let mapped = FunctionError(wrapping: error)
            #expect(mapped.field == "gateways" && mapped.code.httpStatus == 422, "\(mapped)")
        }
        do {
            _ = try await handler.handle(
                try Self.processed(nil, succeeded: true), context: Self.context(.eventBridge(Self.bus)))
            Issue.record("feedback without a decision id was accepted")
        } catch let error as FunctionError {
            #expect(error.field == "decision_id")
        }
    }
}
