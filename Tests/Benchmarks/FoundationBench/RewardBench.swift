import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// Rewards in ledger mode through the bus, end to end under `smartpay serve`: `count` payment.processed events
/// (10.00 USD each, spread over 100 customers) published at once; the time until every reward is pending (earned/s);
/// then settlement.completed for all of them (50 payments per event); the time until every reward is released and
/// minted to the ledger (mints/s).
func rewardLedger(redisURL: String, count: Int) async throws {
    let redis = try RedisClient(url: redisURL, maximumConnections: 4)
    let publisher = RedisEventPublisher(redis: redis)
    let customers = 100
    let perReward: Int64 = 10_000_000
    func sum(_ field: String) async throws -> Int64 {
        var total: Int64 = 0
        for customer in 0..<customers {
            total +=
                Int64(try await redis.send(["HGET", "reward:balance:bench_c\(customer)", field]).string ?? "0") ?? 0
        }
        return total
    }
    func wait(_ field: String, for expected: Int64) async throws {
        while try await sum(field) < expected { try await Task.sleep(for: .milliseconds(20)) }
    }
    let payments = (0..<count).map { "pay_bench_\($0)" }
    var started = ContinuousClock.now
    for batch in stride(from: 0, to: count, by: 200) {
        let events = try (batch..<min(count, batch + 200)).map { index in
            try OutgoingEvent(
                source: "smartpay.pay",
                PaymentProcessed(
                    paymentID: payments[index], merchantID: "m_bench", customerID: "bench_c\(index % customers)",
                    amount: 1000, currency: .usd, status: .succeeded, fee: 59, net: 941, paymentMethod: "card",
                    processorError: false, attempts: 1))
        }
        _ = try await publisher.publish(events, deliverAt: nil)
    }
    try await wait("pending", for: Int64(count) * perReward)
    report("reward_earned_via_bus", operations: count, elapsed: ContinuousClock.now - started)

    started = ContinuousClock.now
    for batch in stride(from: 0, to: count, by: 50) {
        let ids = payments[batch..<min(count, batch + 50)].map(JSONValue.string)
        _ = try await publisher.publish(
            OutgoingEvent(
                source: "smartpay.settlement", detailType: "settlement.completed",
                detail: .object(["payment_ids": .array(ids)])))
    }
    try await wait("released", for: Int64(count) * perReward)
    report("reward_minted_ledger_via_bus", operations: count, elapsed: ContinuousClock.now - started)
}
