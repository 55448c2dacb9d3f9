import Foundation
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis
import SmartPayRuntime
import TestSupport
import Testing

@Suite("the route function under smartpay serve", .serialized)
struct RouteServeTests {
    @Test("POST /route decides and sticks to the idempotency key; payment.processed on the bus teaches the model")
    func decideAndLearn() async throws {
        let platform = try await ServedPlatform(template: "route-template.yaml")
        let body =
            #"{"idempotency_key": "order-9", "amount_minor": 4999, "currency": "USD", "method": "card", "country": "US"}"#
        let first = try await platform.post("/route", body)
        #expect(first.status == 200, "\(String(decoding: first.body, as: UTF8.self))")
        let id = try #require(json(first)["decision_id"] as? String)
        let gateway = try #require(json(first)["gateway"] as? String)
        let again = try await platform.post("/route", body)
        #expect(json(again)["decision_id"] as? String == id && json(again)["cached"] as? Bool == true)
        let invalid = try await platform.post(
            "/route", #"{"amount_minor": 5, "currency": "USD", "method": "cheque", "country": "US"}"#)
        #expect(invalid.status == 422)
        #expect((json(invalid)["error"] as? [String: Any])?["field"] as? String == "method")

        let url = try #require(RuntimeState.read(from: platform.state.path)?.redisURL)
        let redis = try RedisClient(url: url)
        try await RedisEventPublisher(redis: redis).publish(
            try OutgoingEvent(
                source: "smartpay.pay",
                PaymentProcessed(
                    paymentID: "pay_9", merchantID: "m_42", customerID: "c_7", amount: 4999, currency: .usd,
                    status: .succeeded, fee: 175, net: 4824, paymentMethod: "card", processorError: false, attempts: 1,
                    decisionID: id, gateway: gateway, latencyMs: 300)))
        var learned = false
        for _ in 0..<200 where !learned {
            learned = try await redis.send("EXISTS", "route:model:\(gateway)").integer == 1
            if !learned { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(learned, "payment.processed reached route through the bus and updated the shared model")
        #expect(try await platform.stop() == 0)
    }
}
