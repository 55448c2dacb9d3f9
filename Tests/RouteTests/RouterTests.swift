import FunctionKit
import RouteFunction
import SmartPayCore
import Testing

@Suite("the route function's policy")
struct RouterTests {
    static func context(
        _ amount: Int64 = 2_000, _ currency: Currency = .usd, method: PaymentMethod = .card, country: String = "US"
    ) -> RouteContext {
        RouteContext(
            money: Money(minorUnits: amount, currency: currency), method: method, cardNetwork: "visa", country: country,
            hour: 12)
    }

    @Test("eligibility: ineligible gateways are never chosen; none eligible is an error naming currency and method")
    func eligibility() throws {
        let router = Router()
        for index in 0..<200 {
            let decision = try router.decide(id: "jpy\(index)", context: Self.context(5_000, .jpy, country: "JP"))
            #expect(decision.gateway != "solana", "solana takes no JPY")
            #expect(!decision.fallbacks.contains("solana"))
        }
        let crypto = try router.decide(id: "c", context: Self.context(method: .crypto))
        #expect(crypto.gateway == "solana" && crypto.fallbacks.isEmpty && crypto.propensity == 1)
        #expect(throws: RouteInputError.self) {
            try router.decide(id: "x", context: Self.context(5_000, .jpy, method: .crypto, country: "JP"))
        }
        do {
            _ = try router.decide(id: "x", context: Self.context(5_000, .jpy, method: .crypto, country: "JP"))
        } catch {
            #expect(error.description == "currency: no gateway accepts JPY by crypto from JP")
        }
        do {
            _ = try router.decide(id: "y", context: Self.context(), candidates: ["stripe", "paypal"])
        } catch {
            #expect(error.field == "gateways" && error.description.contains("paypal"))
        }
    }

    @Test("learns the better gateway per context; customer declines do not count against a gateway")
    func learning() throws {
        var settings = RouterSettings()
        settings.epsilon = 0.05
        let router = Router(settings: settings)
        var random = SplitMix64(seed: 42)
        // stripe authorises 95 % in the US and 60 % in France; amazon_pay the other way round.
        var picks: [String: [String: Int]] = ["US": [:], "FR": [:]]
        for index in 0..<6_000 {
            let country = index % 2 == 0 ? "US" : "FR"
            let currency: Currency = country == "US" ? .usd : .eur
            let decision = try router.decide(
                id: "p\(index)", context: Self.context(2_000, currency, country: country),
                candidates: ["stripe", "amazon_pay"])
            let good = (decision.gateway == "stripe") == (country == "US")
            let authorized = random.nextDouble() < (good ? 0.95 : 0.60)
            router.feedback(
                id: "p\(index)",
                outcome: RouteOutcome(gateway: decision.gateway, authorized: authorized, processorError: !authorized))
            if index >= 4_000 { picks[country]![decision.gateway, default: 0] += 1 }
        }
        #expect(picks["US"]!["stripe", default: 0] > 900)
        #expect(picks["FR"]!["amazon_pay", default: 0] > 900)

        // A run of customer declines on stripe in the US changes nothing: still stripe.
        for index in 0..<300 {
            let decision = try router.decide(
                id: "d\(index)", context: Self.context(), candidates: ["stripe", "amazon_pay"])
            router.feedback(
                id: "d\(index)",
                outcome: RouteOutcome(gateway: decision.gateway, authorized: false, processorError: false))
        }
        let after = try router.decide(id: "after", context: Self.context(), candidates: ["stripe", "amazon_pay"])
        #expect(after.scores["stripe"]! > after.scores["amazon_pay"]!)
        #expect(router.breakerState("stripe") == .closed)
        #expect(
            !router.feedback(
                id: "never-decided", outcome: RouteOutcome(gateway: "stripe", authorized: true, processorError: false)))
        #expect(router.unknownFeedbackCount == 1)
    }

    @Test("the circuit breaker opens on a burst of processor errors, probes after the cooldown, and closes")
    func circuitBreaker() {
        var breaker = CircuitBreaker()
        for step in 1...4 { breaker.record(processorError: true, step: step) }
        #expect(breaker.state(at: 4) == .closed)
        breaker.record(processorError: true, step: 5)
        #expect(breaker.state(at: 5) == .open)
        #expect(breaker.state(at: 5 + breaker.cooldown - 1) == .open)
        #expect(breaker.state(at: 5 + breaker.cooldown) == .halfOpen)
        // A failed probe opens it again for twice as long.
        breaker.record(processorError: true, step: 300)
        #expect(breaker.state(at: 300 + 2 * breaker.cooldown - 1) == .open)
        #expect(breaker.state(at: 300 + 2 * breaker.cooldown) == .halfOpen)
        breaker.record(processorError: false, step: 800)
        #expect(breaker.state(at: 800) == .closed)
        // Customer-side declines never reach the breaker; a mixed stream under the error share stays closed.
        var mixed = CircuitBreaker()
        for step in 1...100 { mixed.record(processorError: step % 3 == 0, step: step) }
        #expect(mixed.state(at: 100) == .closed)
    }

    @Test("an open breaker takes the gateway out of the choice until it is probed again")
    func breakerInRouting() throws {
        let router = Router()
        for index in 0..<5 {
            let id = "e\(index)"
            _ = try router.decide(id: id, context: Self.context(), candidates: ["stripe", "amazon_pay"])
            router.feedback(id: id, outcome: RouteOutcome(gateway: "stripe", authorized: false, processorError: true))
        }
        #expect(router.breakerState("stripe") == .open)
        for index in 0..<100 {
            let decision = try router.decide(
                id: "o\(index)", context: Self.context(), candidates: ["stripe", "amazon_pay"])
            #expect(decision.gateway == "amazon_pay")
            #expect(!decision.fallbacks.contains("stripe"))
        }
        // With every eligible gateway open, the payment still gets one.
        let only = try router.decide(id: "only", context: Self.context(), candidates: ["stripe"])
        #expect(only.gateway == "stripe")
    }

    @Test("fees in minor units: basis points rounded half up plus the fixed part")
    func fees() throws {
        let stripe = try #require(GatewayCatalog.standard.profile("stripe"))
        #expect(stripe.fee(for: Money(minorUnits: 2_000, currency: .usd)) == 88)
        #expect(stripe.fee(for: Money(minorUnits: 1_234, currency: .usd)) == 66)  // 35.786 → 36, + 30
        let solana = try #require(GatewayCatalog.standard.profile("solana"))
        #expect(solana.fee(for: Money(minorUnits: 2_000, currency: .usd)) == 3)
    }

    @Test("context validation names the field")
    func validation() throws {
        func message(_ json: String) -> String {
            do {
                _ = try RouteContext(json: try JSONParser().parse(json))
                return "accepted"
            } catch {
                return FunctionError(wrapping: error).message
            }
        }
        #expect(
            message(#"{"currency": "USD", "method": "card", "country": "US"}"#).hasPrefix("amount_minor: is required"))
        #expect(
            message(#"{"amount_minor": 1.5, "currency": "USD", "method": "card", "country": "US"}"#).hasPrefix(
                "amount_minor: expected an integer"))
        #expect(
            message(#"{"amount_minor": 100, "currency": "XXX1", "method": "card", "country": "US"}"#).hasPrefix(
                "currency:"))
        #expect(
            message(#"{"amount_minor": 100, "currency": "USD", "method": "cheque", "country": "US"}"#).hasPrefix(
                "method:"))
        #expect(
            message(#"{"amount_minor": 100, "currency": "USD", "method": "card", "country": "USA"}"#).hasPrefix(
                "country:"))
        #expect(
            message(#"{"amount_minor": 100, "currency": "USD", "method": "card", "country": "US", "hour": 24}"#)
                .hasPrefix("hour:"))
        #expect(
            message(#"{"amount_minor": 100, "currency": "USD", "method": "card", "country": "US", "risk_score": 2}"#)
                .hasPrefix("risk_score:"))
        #expect(
            message(
                #"{"amount_minor": 100, "currency": "USD", "method": "card", "country": "US", "extra": {"any": 1}}"#)
                == "accepted")
    }

    @Test("the stdio protocol: decide, feedback, errors per line")
    func stdio() throws {
        let router = Router()
        let decide = RouteStdio.handle(
            Array(
                #"{"op":"decide","id":"d1","context":{"amount_minor":2000,"currency":"USD","method":"card","country":"US"},"gateways":["stripe","amazon_pay","solana"]}"#
                    .utf8),
            router: router)
        #expect(decide["id"] == .string("d1"))
        let gateway = try #require(decide["gateway"]?.stringValue)
        #expect(["stripe", "amazon_pay", "solana"].contains(gateway))
        #expect(decide["propensity"] != nil && decide["fallbacks"] != nil)
        let feedback = RouteStdio.handle(
            Array(
                #"{"op":"feedback","id":"d1","gateway":"\#(gateway)","authorized":true,"processor_error":false,"latency_ms":420}"#
                    .utf8),
            router: router)
        #expect(feedback == .object(["id": .string("d1"), "ok": .bool(true), "known": .bool(true)]))
        let unknown = RouteStdio.handle(
            Array(#"{"op":"feedback","id":"zz","gateway":"stripe","authorized":false}"#.utf8), router: router)
        #expect(unknown["known"] == .bool(false) && unknown["ok"] == .bool(true))
        let bad = RouteStdio.handle(
            Array(#"{"op":"decide","id":"d2","context":{"amount_minor":-5}}"#.utf8), router: router)
        #expect(bad["error"]?["field"] == .string("amount_minor"))
        let garbage = RouteStdio.handle(Array("not json".utf8), router: router)
        #expect(garbage["error"] != nil)
    }
}
