import Foundation
import Logging
import SmartPayCore
import SmartPayEvents
import SmartPayHTTP
import SmartPayRedis
import SmartPayRuntime
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The bus end to end against a running `smartpay serve` on the bus benchmark's template: publishes `count` events
/// (detail-types spread over the 20 rules) through the functions' publisher, at full speed (`rate` 0) or paced at
/// `rate` events/s, and watches `/metrics` until every one has been delivered. Prints the delivered rate and the
/// publish-to-invoke latency quantiles from the runtime's histogram.
func busEndToEnd(redisURL: String, metricsURL: String, count: Int, rate: Int) async throws {
    let redis = try RedisClient(url: redisURL, maximumConnections: 4)
    let publisher = RedisEventPublisher(redis: redis)
    let http = HTTPClient()
    func scrape() async throws -> (delivered: Int, buckets: [(Double, Int)]) {
        let text = try await http.execute(HTTPClientRequest(url: metricsURL)).bodyText
        var delivered = 0
        var buckets: [(Double, Int)] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            guard parts.count == 2, let value = Double(parts[1]) else { continue }
            if line.hasPrefix("smartpay_bus_delivered_total{") { delivered += Int(value) }
            if line.hasPrefix("smartpay_bus_publish_to_invoke_seconds_bucket{le=\""),
                let bound = Double(line.split(separator: "\"")[1])
            {
                buckets.append((bound, Int(value)))
            }
        }
        return (delivered, buckets)
    }
    func event(_ index: Int) -> OutgoingEvent {
        OutgoingEvent(
            source: "bench", detailType: "bench.\(index % 20)",
            detail: .object(["run": .string("bench"), "mode": .string("noop"), "n": .number(String(index))]))
    }
    let before = try await scrape()
    let started = ContinuousClock.now
    if rate == 0 {
        for batch in stride(from: 0, to: count, by: 200) {
            try await publisher.publish((batch..<min(count, batch + 200)).map(event), deliverAt: nil)
        }
    } else {
        let interval = Duration.seconds(1) / rate
        for index in 0..<count {
            let due = started + interval * index
            if due > ContinuousClock.now { try await Task.sleep(until: due, clock: .continuous) }
            try await publisher.publish([event(index)], deliverAt: nil)
        }
    }
    let published = ContinuousClock.now - started
    var after = try await scrape()
    let deadline = ContinuousClock.now + .seconds(120)
    while after.delivered - before.delivered < count && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(10))
        after = try await scrape()
    }
    let elapsed = ContinuousClock.now - started
    let delivered = after.delivered - before.delivered
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let publishSeconds = Double(published.components.seconds) + Double(published.components.attoseconds) / 1e18
    print("bus_published \(count) events in \(String(format: "%.2f", publishSeconds)) s")
    print("bus_delivered \(delivered) of \(count) in \(String(format: "%.2f", seconds)) s")
    print("bus_delivered_rate \(Int(Double(delivered) / seconds)) events/s")
    let counts = zip(after.buckets, before.buckets).map { ($0.0, $0.1 - $1.1) }
    let total = counts.last?.1 ?? 0
    for quantile in [0.5, 0.9, 0.99] {
        let needed = Int((Double(total) * quantile).rounded(.up))
        let bound = counts.first { $0.1 >= needed }?.0 ?? .infinity
        print("bus_publish_to_invoke_p\(Int(quantile * 100)) ≤ \(bound * 1000) ms")
    }
}

/// The bus alone: the same 20 rules and the same publishing, but the target is a no-op `EventTarget` in this
/// process instead of a function behind the Runtime API, so the figure is the router's and dispatcher's own
/// capacity (Redis round trips, matching, acknowledgements).
func busEngineAlone(redisURL: String, template path: String, count: Int) async throws {
    final class NoopTarget: EventTarget {
        let delivered = Mutex(0)
        func capacity(of function: String) -> Int? { 10 }
        func deliver(function: String, event: [UInt8]) async -> DeliveryOutcome {
            delivered.withLock { $0 += 1 }
            return .delivered
        }
    }
    let target = NoopTarget()
    var logger = Logger(label: "bench")
    logger.logLevel = .critical
    let bus = try EventBus(
        template: try TemplateLoader.load(path), redisURL: redisURL, target: target, options: EventBusOptions(),
        logger: logger)
    try await bus.prepare()
    let running = Task { await bus.run() }
    let redis = try RedisClient(url: redisURL, maximumConnections: 4)
    let publisher = RedisEventPublisher(redis: redis)
    let started = ContinuousClock.now
    for batch in stride(from: 0, to: count, by: 200) {
        try await publisher.publish(
            (batch..<min(count, batch + 200)).map { index in
                OutgoingEvent(
                    source: "bench", detailType: "bench.\(index % 20)",
                    detail: .object(["run": .string("bench"), "mode": .string("noop"), "n": .number(String(index))]))
            }, deliverAt: nil)
    }
    let deadline = ContinuousClock.now + .seconds(120)
    while target.delivered.withLock({ $0 }) < count && ContinuousClock.now < deadline {
        try await Task.sleep(for: .milliseconds(5))
    }
    let elapsed = ContinuousClock.now - started
    running.cancel()
    await running.value
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let delivered = target.delivered.withLock { $0 }
    print("bus_engine_alone_delivered \(delivered) of \(count) in \(String(format: "%.2f", seconds)) s")
    print("bus_engine_alone_rate \(Int(Double(delivered) / seconds)) events/s")
}
