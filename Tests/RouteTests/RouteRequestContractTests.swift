import RouteFunction
import SmartPayContracts
import SmartPayCore
import Testing

@Suite("pay's RouteRequest as route reads it")
struct RouteRequestContractTests {
    @Test("the request pay encodes is the context route's validator reads, field for field")
    func contextRoundTrip() throws {
        let request = RouteRequest(
            context: RouteRequestContext(
                money: Money(minorUnits: 4999, currency: .usd), method: "card", country: "US", hour: 14,
                cardNetwork: "visa", merchantCategory: "5734", riskScore: 0.25, riskTier: .medium),
            gateways: ["stripe", "amazon_pay"], idempotencyKey: "pay_1")
        let payload = try request.payload()
        #expect(payload["action"] == "decide" && payload["idempotency_key"] == "pay_1")
        let context = try RouteContext(json: try #require(payload["context"]))
        #expect(context.money == Money(minorUnits: 4999, currency: .usd) && context.method == .card)
        #expect(context.country == "US" && context.hour == 14 && context.cardNetwork == "visa")
        #expect(context.merchantCategory == "5734" && context.riskScore == 0.25 && context.riskTier == .medium)
    }
}
