import RouteFunction
import SmartPayCore

/// The router's decision in process, one thread: `count` decisions over varied contexts, each followed by its
/// feedback (so the models change as they would), timed separately.
func routeDecide(count: Int) throws {
    let router = Router()
    let regions = ["US", "FR", "GB", "JP", "DE", "CA"]
    let networks = ["visa", "mastercard", "amex"]
    var contexts: [RouteContext] = []
    for index in 0..<1_000 {
        let currency: Currency = [Currency.usd, .eur, try Currency(code: "GBP"), .jpy][index % 4]
        contexts.append(
            RouteContext(
                money: Money(minorUnits: Int64(500 + index * 37 % 20_000), currency: currency),
                method: index % 10 == 0 ? .wallet : .card, cardNetwork: networks[index % 3],
                country: regions[index % regions.count], hour: index % 24))
    }
    var decideTime = Duration.zero
    var feedbackTime = Duration.zero
    var latencies: [Double] = []
    latencies.reserveCapacity(count)
    for index in 0..<count {
        let context = contexts[index % contexts.count]
        let start = ContinuousClock.now
        let decision = try router.decide(id: "d\(index)", context: context)
        let decided = ContinuousClock.now
        router.feedback(
            id: "d\(index)",
            outcome: RouteOutcome(
                gateway: decision.gateway, authorized: index % 9 != 0, processorError: index % 9 == 0, latencyMs: 400))
        feedbackTime += ContinuousClock.now - decided
        decideTime += decided - start
        latencies.append(seconds(decided - start) * 1e6)
    }
    latencies.sort()
    print("route_decide_mean_us \(format3(seconds(decideTime) / Double(count) * 1e6)) us")
    print("route_decide_p99_us \(format3(latencies[count * 99 / 100])) us")
    print("route_feedback_mean_us \(format3(seconds(feedbackTime) / Double(count) * 1e6)) us")
}
