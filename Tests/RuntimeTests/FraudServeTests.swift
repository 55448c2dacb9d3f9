import Foundation
import SmartPayCore
import SmartPayEvents
import SmartPayRedis
import SmartPayRuntime
import TestSupport
import Testing

@Suite("the fraud function under smartpay serve", .serialized)
struct FraudServeTests {
    /// A transaction at `hour`:00 on 2026-11-20, an hour apart so that no velocity rule fires.
    static func transaction(_ id: String, amount: Int, hour: Int) -> String {
        """
        {"transaction_id": "\(id)", "amount": \(amount), "currency": "USD",
         "timestamp": "2026-11-20T\(hour < 10 ? "0" : "")\(hour):00:00Z", "customer_id": "cus_e2e",
         "terminal_id": "term_e2e", "card_fingerprint": "fp_e2e"}
        """
    }

    @Test("HTTP and the bus score transactions; the cache answers repeats; bad input is a 422 naming the field")
    func threeWaysIn() async throws {
        let platform = try await ServedPlatform(template: "fraud-template.yaml")
        // A customer who spends about 40.00, then 900.00: the model sees the amount against the customer's history.
        for hour in 8..<13 {
            let ok = try await platform.post(
                "/fraud", Self.transaction("e2e-\(hour)", amount: 4_000 + hour * 100, hour: hour))
            #expect(ok.status == 200, "\(String(decoding: ok.body, as: UTF8.self))")
            #expect(json(ok)["tier"] as? String == "low")
        }
        let large = try await platform.post("/fraud", Self.transaction("e2e-large", amount: 90_000, hour: 15))
        #expect(json(large)["tier"] as? String == "high", "\(String(decoding: large.body, as: UTF8.self))")
        #expect(json(large)["decision"] as? String == "decline")
        #expect(((json(large)["reasons"] as? [[String: Any]])?.count ?? 0) > 0)
        let again = try await platform.post("/fraud", Self.transaction("e2e-large", amount: 90_000, hour: 15))
        #expect(json(again)["cached"] as? Bool == true)
        #expect(json(again)["score"] as? Double == json(large)["score"] as? Double)

        let float = Self.transaction("e2e-bad", amount: 0, hour: 1)
            .replacingOccurrences(of: "\"amount\": 0", with: "\"amount\": 12.5")
        let invalid = try await platform.post("/fraud", float)
        #expect(invalid.status == 422)
        #expect((json(invalid)["error"] as? [String: Any])?["field"] as? String == "amount")

        // The bus: payment.requested is scored (its verdict lands in the cache), fraud.detected was published for
        // the high one, and a fraud report labels the terminal.
        let url = try #require(RuntimeState.read(from: platform.state.path)?.redisURL)
        let redis = try RedisClient(url: url)
        try await RedisEventPublisher(redis: redis).publish(
            OutgoingEvent(
                source: "smartpay.pay", detailType: "payment.requested",
                detail: try JSONParser().parse(
                    #"{"payment_id": "pay_e2e", "amount": 2500, "currency": "EUR", "customer_id": "cus_bus", "merchant_id": "m_1"}"#
                )))
        var scored = false
        for _ in 0..<200 where !scored {
            scored = try await redis.send("EXISTS", "fraud:verdict:pay_e2e").integer == 1
            if !scored { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(scored, "payment.requested reached fraud through the bus")
        let archive = try await redis.send("XRANGE", "smartpay:bus:default:archive", "-", "+")
        let published = (archive.array ?? []).flatMap { $0.array?.last?.array ?? [] }.compactMap(\.string)
        #expect(published.contains { $0.contains("fraud.detected") && $0.contains("e2e-large") })

        let report = try await platform.post("/fraud/reports", #"{"transaction_id": "e2e-large"}"#)
        #expect(report.status == 200)
        #expect(json(report)["terminal_id"] as? String == "term_e2e")
        #expect(try await redis.send("ZSCORE", "fraud:terminal-fraud:term_e2e", "e2e-large").string != nil)
        #expect(try await platform.stop() == 0)
    }
}
