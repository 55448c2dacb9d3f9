import Foundation
import FunctionKit
import Logging
import PayFunction
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayHTTP
import SmartPayRedis
import TestSupport
import Testing

/// The fraud seam's test double: a fixed verdict.
struct FixedRisk: RiskAssessor {
    var tier: RiskTier = .low
    var score = 0.01
    func assess(_ payment: Payment, request: PaymentRequest) async throws -> Payment.Risk {
        Payment.Risk(score: score, tier: tier, decision: nil, reasons: [])
    }
}

/// The routing seam's test double: a fixed order over the candidates.
struct FixedRouter: GatewayRouter {
    var order: [String]
    func route(_ payment: Payment, request: PaymentRequest, candidates: [String], country: String, category: String?)
        async throws -> RouteChoice
    {
        let names = order.filter(candidates.contains)
        return RouteChoice(decisionID: "rd_test_\(payment.id)", gateway: names[0], fallbacks: Array(names.dropFirst()))
    }
}

/// Runs `body` with a harness over two localstripe servers: `stripe` (`first`), then `stripe_eu` (`second`).
func withTwoStripes(_ body: (Harness, LocalStripe, LocalStripe) async throws -> Void) async throws {
    try await RedisServer.with { redis in
        try await LocalStripe.with { first in
            try await LocalStripe.with { second in
                try await body(
                    Harness(redis: redis, stripes: [("stripe", first.baseURL), ("stripe_eu", second.baseURL)]), first,
                    second)
            }
        }
    }
}

/// A pay service on a real Redis and real localstripe servers.
struct Harness {
    let redis: RedisClient
    let service: PayService
    let store: RedisPaymentStore

    init(
        redis server: RedisServer, stripes: [(name: String, base: String)], risk: FixedRisk = FixedRisk(),
        order: [String]? = nil, timeout: Duration = .seconds(5), others: [any PaymentGateway] = []
    ) {
        redis = RedisClient(configuration: server.configuration)
        store = RedisPaymentStore(redis: redis)
        let http = HTTPClient()
        let gateways =
            stripes.map {
                StripeGateway(
                    name: $0.name, apiKey: LocalStripe.apiKey, baseURL: $0.base, dialect: .localstripe, http: http,
                    timeout: timeout) as any PaymentGateway
            } + others
        var settings = PaySettings()
        settings.idempotencyWait = .seconds(20)
        service = PayService(
            store: store, gateways: GatewayRegistry(gateways), risk: risk,
            router: FixedRouter(order: order ?? (stripes.map(\.name) + others.map(\.name))),
            settings: settings)
    }

    func pay(_ text: String, key: String? = nil, request: String = UUID().uuidString) async throws -> PayAnswer {
        let json = try JSONParser().parse(Array(text.utf8))
        return try await service.pay(
            try PaymentRequest(json: json, identity: nil, headerKey: key), caller: Caller(audience: .merchant),
            requestID: request, logger: Logger(label: "test"))
    }

    /// The bus's ingest stream: what the outbox published.
    func published() async throws -> [JSONValue] {
        let entries = try await redis.send(["XRANGE", BusKeys.ingest(bus: "default"), "-", "+"]).array ?? []
        return entries.compactMap { entry -> JSONValue? in
            guard let fields = entry.array?.last?.array else { return nil }
            let pairs = fields.compactMap(\.string)
            guard let index = pairs.firstIndex(of: "event"), index + 1 < pairs.count else { return nil }
            return try? JSONParser().parse(Array(pairs[index + 1].utf8))
        }
    }
}

/// PaymentIntents at a localstripe carrying a SmartPay payment id.
func intents(at stripe: LocalStripe, payment: String? = nil) async throws -> [JSONValue] {
    let response = try await stripe.get("/v1/payment_intents?limit=100")
    guard case .array(let items)? = try JSONParser().parse(response.body)["data"] else { return [] }
    return items.filter { item in
        guard let id = item["metadata"]?["smartpay_payment_id"]?.stringValue else { return false }
        return payment == nil || id == payment
    }
}

func card(_ amount: Int = 2000, token: String = "pm_card_visa", customer: String = "c_7", extra: String = "") -> String
{
    #"{"amount": \#(amount), "currency": "USD", "customer_id": "\#(customer)", "merchant_id": "m_42", "payment_method": {"type": "card", "token": "\#(token)"}\#(extra)}"#
}

@Suite("payments through real Stripe sandboxes (localstripe) and Redis", .serialized)
struct PayFlowTests {
    @Test("a card payment succeeds: state, fee and net, the attempt, the history, and payment.processed in the outbox")
    func succeeds() async throws {
        try await RedisServer.with { redis in
            try await LocalStripe.with { stripe in
                let harness = Harness(redis: redis, stripes: [("stripe", stripe.baseURL)])
                let answer = try await harness.pay(card(10_000, extra: #", "metadata": {"order": "o-1"}"#))
                #expect(answer.status == 201)
                let body = answer.body
                #expect(body["status"]?.stringValue == "succeeded")
                #expect(body["fee"] == .number("320") && body["net"] == .number("9680"))
                #expect(body["gateway"]?.stringValue == "stripe")
                #expect(body["risk"]?["tier"]?.stringValue == "low")
                let id = try #require(body["id"]?.stringValue)
                let stored = try #require(try await harness.store.load(id))
                #expect(stored.history.map(\.to) == [.requiresPaymentMethod, .processing, .succeeded])
                #expect(stored.attempts.count == 1 && stored.attempts[0].idempotencyKey == "\(id):attempt:1")
                #expect(stored.gatewayReference?.hasPrefix("pi_") == true)
                #expect(try await intents(at: stripe, payment: id).count == 1)
                let events = try await harness.published()
                #expect(events.count == 1)
                let detail = events[0]["detail"]
                #expect(events[0]["detail-type"]?.stringValue == "payment.processed")
                #expect(events[0]["source"]?.stringValue == "smartpay.pay")
                #expect(detail?["payment_id"]?.stringValue == id && detail?["status"]?.stringValue == "succeeded")
                #expect(detail?["decision_id"]?.stringValue == "rd_test_\(id)")
                #expect(detail?["processor_error"] == .bool(false) && detail?["fee"] == .number("320"))

                let customerView = PaymentView.render(stored, for: Caller(audience: .customer))
                #expect(customerView["fee"] == nil && customerView["net"] == nil && customerView["attempts"] == nil)
            }
        }
    }

    @Test("a decline fails the payment without trying another gateway; the reason is the processor's code")
    func declineIsNotRetried() async throws {
        try await withTwoStripes { harness, first, second in
            let answer = try await harness.pay(
                #"{"amount": 1500, "currency": "EUR", "customer_id": "c_1", "merchant_id": "m_42", "payment_method": {"type": "card", "tokens": {"stripe": "pm_card_chargeCustomerFail", "stripe_eu": "pm_card_visa"}}}"#
            )
            #expect(answer.body["status"]?.stringValue == "failed")
            #expect(answer.body["failure"]?["code"]?.stringValue == "card_declined")
            #expect(answer.body["attempts"]?.arrayCount == 1)
            #expect(try await intents(at: second).isEmpty, "a hard decline is never retried elsewhere")
            let event = try await harness.published().first?["detail"]
            #expect(event?["status"]?.stringValue == "failed" && event?["processor_error"] == .bool(false))
        }
    }

    @Test("failover: the first gateway's server is stopped mid-run; the next one charges, once")
    func failover() async throws {
        try await withTwoStripes { harness, first, second in
            let both =
                #", "payment_method": {"type": "card", "tokens": {"stripe": "pm_card_visa", "stripe_eu": "pm_card_visa"}}"#
            func payment(_ n: Int) -> String {
                #"{"amount": \#(1000 + n), "currency": "USD", "customer_id": "c_\#(n)", "merchant_id": "m_42"\#(both)}"#
            }
            let before = try await harness.pay(payment(1))
            #expect(before.body["gateway"]?.stringValue == "stripe")
            first.stop()
            let after = try await harness.pay(payment(2), key: "order-2")
            #expect(after.body["status"]?.stringValue == "succeeded", "\(after.body)")
            #expect(after.body["gateway"]?.stringValue == "stripe_eu")
            let attempts = after.body["attempts"]
            #expect(attempts?[0]?["outcome"]?.stringValue == "processor_error")
            #expect(attempts?[1]?["outcome"]?.stringValue == "succeeded")
            let id = try #require(after.body["id"]?.stringValue)
            #expect(try await intents(at: second, payment: id).count == 1)
            // A retry of the same request charges nobody again.
            let retry = try await harness.pay(payment(2), key: "order-2")
            #expect(retry.replayed && retry.body["id"]?.stringValue == id)
            #expect(try await intents(at: second, payment: id).count == 1)
            // With every gateway down the payment fails as a processor problem, and route hears it.
            second.stop()
            let down = try await harness.pay(payment(3))
            try #require(down.body["failure"] != nil)
            #expect(down.body["status"]?.stringValue == "failed")
            #expect(down.body["failure"]?["code"]?.stringValue == "processor_unavailable")
            let last = try await harness.published().last?["detail"]
            #expect(last?["processor_error"] == .bool(true))
        }
    }

    @Test("50 simultaneous identical requests make one charge and get one payment; other parameters are refused")
    func concurrentIdempotency() async throws {
        try await RedisServer.with { redis in
            try await LocalStripe.with { stripe in
                let harness = Harness(redis: redis, stripes: [("stripe", stripe.baseURL)])
                let answers = try await withThrowingTaskGroup(of: PayAnswer.self) { group in
                    for n in 0..<50 {
                        group.addTask { try await harness.pay(card(4200), key: "order-50", request: "r\(n)") }
                    }
                    return try await group.reduce(into: []) { $0.append($1) }
                }
                let ids = Set(answers.compactMap { $0.body["id"]?.stringValue })
                #expect(ids.count == 1, "one payment for 50 identical requests")
                #expect(answers.filter { !$0.replayed }.count == 1)
                #expect(answers.allSatisfy { $0.body["status"]?.stringValue == "succeeded" })
                #expect(try await intents(at: stripe).count == 1, "one charge at the processor")

                do {
                    _ = try await harness.pay(card(4300), key: "order-50")
                    Issue.record("a reused key with another amount was accepted")
                } catch let error as PaymentError {
                    #expect(error.functionError.code == .idempotencyError && error.field == "amount")
                    #expect(error.message.contains("amount"))
                }
                #expect(try await intents(at: stripe).count == 1)
                #expect(
                    try await harness.redis.send(["TTL", "pay:idempotency:merchant:m_42:order-50"]).integer ?? 0
                        > 86_000)
            }
        }
    }

    @Test("compliance: over the per-transaction or the rolling 24-hour limit fails with the reason; nothing is charged")
    func limits() async throws {
        try await RedisServer.with { redis in
            try await LocalStripe.with { stripe in
                let harness = Harness(redis: redis, stripes: [("stripe", stripe.baseURL)])
                // basic: 1,000 USD per payment, 2,500 USD a day.
                let big = try await harness.pay(card(100_001))
                #expect(big.body["status"]?.stringValue == "failed")
                #expect(big.body["failure"]?["code"]?.stringValue == "transaction_limit_exceeded")
                #expect(big.body["failure"]?["message"]?.stringValue?.contains("1000.00 USD") == true)
                _ = try await harness.pay(card(100_000))
                _ = try await harness.pay(card(100_000))
                let third = try await harness.pay(card(60_000))
                #expect(third.body["failure"]?["code"]?.stringValue == "daily_limit_exceeded", "\(third.body)")
                #expect(try await intents(at: stripe).count == 2)
                // A declined payment does not count: the window frees its amount.
                try await harness.store.saveCustomer(CustomerProfile(id: "c_9", kycLevel: "verified"))
                let declined = try await harness.pay(
                    card(900_000, token: "pm_card_chargeCustomerFail", customer: "c_9"))
                #expect(declined.body["status"]?.stringValue == "failed")
                let next = try await harness.pay(card(900_000, customer: "c_9"))
                #expect(next.body["status"]?.stringValue == "succeeded", "\(next.body)")
            }
        }
    }

    @Test("risk: high is declined (or held for review by the merchant's policy), medium proceeds flagged")
    func risk() async throws {
        try await RedisServer.with { redis in
            try await LocalStripe.with { stripe in
                let high = Harness(
                    redis: redis, stripes: [("stripe", stripe.baseURL)], risk: FixedRisk(tier: .high, score: 0.9))
                let declined = try await high.pay(card())
                #expect(declined.body["status"]?.stringValue == "failed")
                #expect(declined.body["failure"]?["code"]?.stringValue == "fraud_declined")
                try await high.store.saveMerchant(
                    MerchantProfile(id: "m_42", feeBasisPoints: 100, feeFixed: 0, highRisk: .review))
                let held = try await high.pay(card())
                #expect(held.body["status"]?.stringValue == "requires_action")
                #expect(held.body["next_action"]?["type"]?.stringValue == "risk_review")
                #expect(try await intents(at: stripe).isEmpty, "nothing charged for high risk")
                let id = try #require(held.body["id"]?.stringValue)
                let canceled = try await high.service.cancel(
                    id, reason: "fraud", caller: Caller(audience: .merchant), requestID: "x")
                #expect(canceled.status == .canceled)

                let medium = Harness(
                    redis: redis, stripes: [("stripe", stripe.baseURL)], risk: FixedRisk(tier: .medium, score: 0.1))
                let flagged = try await medium.pay(card(1000, customer: "c_m"))
                #expect(flagged.body["status"]?.stringValue == "succeeded" && flagged.body["flagged"] == .bool(true))
                #expect(flagged.body["risk"]?["score"] == .number("0.1"))
                #expect(flagged.body["fee"] == .number("10"), "the merchant's own fee: 1 %")
            }
        }
    }

    @Test("refunds in parts and in full; illegal actions are refused and change nothing")
    func refundsAndCancels() async throws {
        try await RedisServer.with { redis in
            try await LocalStripe.with { stripe in
                let harness = Harness(redis: redis, stripes: [("stripe", stripe.baseURL)])
                let merchant = Caller(audience: .merchant, actor: "merchant:m_42")
                let id = try #require(try await harness.pay(card(5000)).body["id"]?.stringValue)
                let part = try await harness.service.refund(
                    id, amount: 2000, reason: "damaged", caller: merchant, requestID: "r1")
                #expect(part.status == .partiallyRefunded && part.amountRefunded == 2000)
                do {
                    _ = try await harness.service.refund(
                        id, amount: 3001, reason: nil, caller: merchant, requestID: "r2")
                    Issue.record("over-refund accepted")
                } catch let error as PaymentError {
                    #expect(error.field == "amount" && error.functionError.code == .validation)
                }
                let rest = try await harness.service.refund(
                    id, amount: nil, reason: nil, caller: merchant, requestID: "r3")
                #expect(rest.status == .refunded && rest.amountRefunded == 5000 && rest.refunds.count == 2)
                #expect(rest.history.last?.actor == "merchant:m_42")
                await #expect(throws: PaymentError.self) {
                    _ = try await harness.service.cancel(id, reason: nil, caller: merchant, requestID: "r4")
                }
                let refunds = try JSONParser().parse(
                    try await stripe.get("/v1/refunds?payment_intent=\(rest.gatewayReference!)").body)
                #expect(refunds["data"]?.arrayCount == 2)
                let events = try await harness.published().map { $0["detail-type"]?.stringValue }
                #expect(events == ["payment.processed", "payment.refunded", "payment.refunded"])
                let customer = Caller(audience: .customer, actor: "customer:c_7")
                await #expect(throws: PaymentError.forbidden("refunds are made by the merchant")) {
                    _ = try await harness.service.refund(id, amount: 1, reason: nil, caller: customer, requestID: "r5")
                }
            }
        }
    }

    @Test("3-D Secure: requires_action with Stripe's next action; the customer's cancel reaches Stripe")
    func requiresAction() async throws {
        try await RedisServer.with { redis in
            try await LocalStripe.with { stripe in
                // The test plays the vault: a card that needs authentication, tokenised at the sandbox.
                let created = try await HTTPClient().execute(
                    HTTPClientRequest(
                        method: "POST", url: stripe.baseURL + "/v1/payment_methods",
                        headers: [("Authorization", "Bearer \(LocalStripe.apiKey)")],
                        body: Array(
                            "type=card&card[number]=4000002500003155&card[exp_month]=12&card[exp_year]=2030&card[cvc]=123"
                                .utf8)))
                let token = try #require(try JSONParser().parse(created.body)["id"]?.stringValue)
                let harness = Harness(redis: redis, stripes: [("stripe", stripe.baseURL)])
                let answer = try await harness.pay(card(3000, token: token))
                #expect(answer.body["status"]?.stringValue == "requires_action")
                #expect(answer.body["next_action"]?["type"]?.stringValue == "stripe_sdk")
                #expect(answer.body["next_action"]?["client_secret"]?.stringValue?.contains("_secret_") == true)
                #expect(try await harness.published().isEmpty, "no payment.processed until it is decided")
                let id = try #require(answer.body["id"]?.stringValue)
                let canceled = try await harness.service.cancel(
                    id, reason: "customer gave up", caller: Caller(audience: .customer, actor: "customer:c_7"),
                    requestID: "c1")
                #expect(canceled.status == .canceled)
                let intent = try JSONParser().parse(
                    try await stripe.get("/v1/payment_intents/\(canceled.gatewayReference!)").body)
                #expect(intent["status"]?.stringValue == "canceled")
            }
        }
    }
}

extension JSONValue {
    subscript(index: Int) -> JSONValue? {
        guard case .array(let items) = self, index < items.count else { return nil }
        return items[index]
    }

    var arrayCount: Int? {
        guard case .array(let items) = self else { return nil }
        return items.count
    }
}
