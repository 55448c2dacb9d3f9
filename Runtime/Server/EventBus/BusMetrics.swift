import Metrics
import Synchronization

/// The bus's counters per (rule, target), its backlog gauges and the publish-to-invoke latency, through
/// swift-metrics beside the runtime's own (`RuntimeMetrics`).
final class BusMetrics: Sendable {
    /// What the bus tracks per target.
    enum Counted: String, CaseIterable, Sendable {
        case matched, delivered, failed, retried
        case deadLettered = "dead_lettered"
        case dropped
    }

    /// One target's handles, made on first use.
    private struct Series: Sendable {
        let counters: [Counted: Counter]
        let lag: Gauge

        init(target: String) {
            var counters: [Counted: Counter] = [:]
            for counted in Counted.allCases {
                counters[counted] = Counter(
                    label: "smartpay_bus_\(counted.rawValue)_total", dimensions: [("target", target)])
            }
            self.counters = counters
            lag = Gauge(label: "smartpay_bus_lag", dimensions: [("target", target)])
        }
    }

    static let latencyLabel = "smartpay_bus_publish_to_invoke_seconds"
    /// The latency histogram's bucket bounds in seconds.
    static let latencyBounds: [Double] = [
        0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30,
    ]

    private let publishedCount = Counter(label: "smartpay_bus_published_total")
    private let malformedCount = Counter(label: "smartpay_bus_malformed_total")
    private let delayed = Gauge(label: "smartpay_bus_delayed")
    private let latency = Timer(label: BusMetrics.latencyLabel)
    private let targets = Mutex<[String: Series]>([:])

    func published(_ count: Int) { publishedCount.increment(by: count) }
    func malformed() { malformedCount.increment() }

    func count(_ counted: Counted, _ target: String, by amount: Int = 1) {
        series(of: target).counters[counted]?.increment(by: amount)
    }

    func backlog(lags: [String: Int], delayed count: Int) {
        for (target, lag) in lags { series(of: target).lag.record(lag) }
        delayed.record(count)
    }

    /// Publish-to-invoke latency of a first delivery.
    func latency(milliseconds: Int64) { latency.record(duration: .milliseconds(max(0, milliseconds))) }

    private func series(of target: String) -> Series {
        targets.withLock { all in
            if let known = all[target] { return known }
            let made = Series(target: target)
            all[target] = made
            return made
        }
    }
}
