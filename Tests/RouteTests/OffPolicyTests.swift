import FunctionKit
import Logging
import RouteFunction
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import TestSupport
import Testing

@Suite("off-policy evaluation")
struct OffPolicyTests {
    /// A log made by a uniform policy over three gateways whose rewards are Bernoulli with known means.
    static func uniformLog(count: Int) -> [LoggedDecision] {
        var random = SplitMix64(seed: 99)
        let means = ["stripe": 0.9, "amazon_pay": 0.7, "solana": 0.5]
        let gateways = ["stripe", "amazon_pay", "solana"]
        var log: [LoggedDecision] = []
        for index in 0..<count {
            let chosen = gateways[Int(random.next() % 3)]
            let reward: Double = random.nextDouble() < means[chosen]! ? 1 : 0
            log.append(
                LoggedDecision(
                    id: "d\(index)",
                    context: RouteContext(
                        money: Money(minorUnits: 2_000, currency: .usd), method: .card, cardNetwork: "visa",
                        country: "US"),
                    gateways: gateways, chosen: chosen, propensity: 1.0 / 3, reward: reward))
        }
        return log
    }

    @Test("IPS and DR recover a candidate's true value from a uniform log (stripe 0.9, uniform 0.7)")
    func knownValue() {
        let log = Self.uniformLog(count: 30_000)
        let stripe = OffPolicyEvaluation.estimate(log: log, candidate: .fixed("stripe"))
        #expect(stripe.decisions == 30_000)
        #expect(abs(stripe.ips - 0.9) < 0.02, "IPS \(stripe.ips) ± \(stripe.ipsStandardError)")
        #expect(abs(stripe.doublyRobust - 0.9) < 0.02, "DR \(stripe.doublyRobust)")
        #expect(stripe.ipsStandardError < 0.01)
        let uniform = OffPolicyEvaluation.estimate(log: log, candidate: .uniform)
        #expect(abs(uniform.ips - 0.7) < 0.02 && abs(uniform.doublyRobust - 0.7) < 0.02)
        #expect(abs(uniform.logged - 0.7) < 0.02)
        // A learning router should find stripe: its estimated value lies between uniform's and stripe's.
        let router = OffPolicyEvaluation.estimate(log: Array(log.prefix(4_000)), candidate: .router(RouterSettings()))
        #expect(router.doublyRobust > 0.8 && router.doublyRobust < 0.92, "DR \(router.doublyRobust)")
    }

    @Test("the policy file names what is wrong")
    func policyFile() throws {
        #expect(throws: RouteInputError("policy", "expected static, uniform or router")) {
            try CandidatePolicy(json: try JSONParser().parse(#"{"policy": "greedy"}"#))
        }
        #expect(throws: RouteInputError("gateway", "a static policy names its gateway")) {
            try CandidatePolicy(json: try JSONParser().parse(#"{"policy": "static"}"#))
        }
        if case .router(let settings) = try CandidatePolicy(
            json: try JSONParser().parse(#"{"policy": "router", "gamma": 0.99}"#))
        {
            #expect(settings.gamma == 0.99)
        } else {
            Issue.record("expected a router candidate")
        }
    }

    @Test("the decision log in Redis exports with the rewards the router optimises")
    func export() async throws {
        try await RedisServer.with { server in
            let store = RouteModelStore(redis: RedisClient(configuration: server.configuration))
            let handler = RouteHandler(store: store, refreshInterval: .zero)
            let body = try JSONParser().parse(
                #"{"amount_minor": 2000, "currency": "USD", "method": "card", "country": "US", "gateways": ["stripe"]}"#
            )
            func context(_ request: String, _ source: EventSource = .direct) -> InvocationContext {
                InvocationContext(
                    requestID: request, deadline: .now + .seconds(10), logger: Logger(label: "test"),
                    functionName: "route", configuration: FunctionConfiguration([:]), source: source)
            }
            var ids: [String] = []
            for index in 0..<3 {
                guard
                    let made = try await handler.handle(body, context: context("r\(index)")).value
                        as? RouteDecision
                else {
                    Issue.record("expected a decision")
                    return
                }
                ids.append(made.decisionID)
            }
            let bus = EventBridgeEnvelope(
                id: "e", detailType: "payment.processed", source: "smartpay.pay", account: "", time: "", region: "",
                resources: [])
            _ = try await handler.handle(
                try RouteHandlerTests.processed(ids[0], succeeded: true, latency: 500),
                context: context("f0", .eventBridge(bus)))
            _ = try await handler.handle(
                try RouteHandlerTests.processed(ids[1], succeeded: false, processorError: true),
                context: context("f1", .eventBridge(bus)))
            let log = try await RouteTools.export(redis: store.redis)
            #expect(log.map(\.id) == ids)
            #expect(log.allSatisfy { $0.gateways == ["stripe"] && $0.propensity == 1 })
            // 2000 minor units at stripe: fee 88 → keep 0.956; 0.5 s × 0.02 = 0.01 latency cost.
            #expect(abs((log[0].reward ?? -1) - (1 - 88.0 / 2000 - 0.01)) < 1e-9)
            #expect(log[1].reward == 0 && log[1].processorError == true)
            #expect(log[2].reward == nil, "no outcome yet")
            let line = try LoggedDecision(json: try JSONParser().parse(log[0].json.serialized()))
            #expect(line == log[0])
        }
    }
}
