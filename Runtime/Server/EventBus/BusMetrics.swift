import Synchronization

/// The bus's counters per (rule, target), its backlog gauges and the publish-to-invoke latency, in Prometheus'
/// text format beside the runtime's own metrics.
final class BusMetrics: Sendable {
    struct Series {
        var matched = 0
        var delivered = 0
        var failed = 0
        var retried = 0
        var deadLettered = 0
        var dropped = 0
        var lag = 0
    }

    private struct State {
        var published = 0
        var malformed = 0
        var delayed = 0
        var targets: [String: Series] = [:]
        var latencyBuckets = [Int](repeating: 0, count: BusMetrics.bounds.count)
        var latencyCount = 0
        var latencySum = 0.0
    }

    static let bounds: [Double] = [
        0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 5, 30,
    ]
    private let state = Mutex(State())

    func published(_ count: Int) { state.withLock { $0.published += count } }
    func malformed() { state.withLock { $0.malformed += 1 } }
    func update(_ target: String, _ change: (inout Series) -> Void) {
        state.withLock { change(&$0.targets[target, default: Series()]) }
    }
    func backlog(lags: [String: Int], delayed: Int) {
        state.withLock { state in
            for (target, lag) in lags { state.targets[target, default: Series()].lag = lag }
            state.delayed = delayed
        }
    }

    /// Publish-to-invoke latency of a first delivery.
    func latency(milliseconds: Int64) {
        let seconds = Double(max(0, milliseconds)) / 1000
        state.withLock { state in
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { state.latencyBuckets[index] += 1 }
            state.latencyCount += 1
            state.latencySum += seconds
        }
    }

    var snapshot: [String: Series] { state.withLock { $0.targets } }

    func render() -> String {
        let state = state.withLock { $0 }
        var text = ""
        func scalar(_ name: String, _ help: String, _ type: String, _ value: Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n\(name) \(value)\n"
        }
        func family(_ name: String, _ help: String, _ type: String, _ value: (Series) -> Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for target in state.targets.keys.sorted() {
                text += "\(name){target=\"\(target)\"} \(value(state.targets[target]!))\n"
            }
        }
        scalar(
            "smartpay_bus_published_total", "Events taken from the bus's ingest streams.", "counter", state.published)
        scalar("smartpay_bus_malformed_total", "Published entries that were not an event.", "counter", state.malformed)
        family("smartpay_bus_matched_total", "Events matched to a rule target.", "counter") { $0.matched }
        family("smartpay_bus_delivered_total", "Events delivered to their target.", "counter") { $0.delivered }
        family("smartpay_bus_failed_total", "Failed delivery attempts.", "counter") { $0.failed }
        family("smartpay_bus_retried_total", "Failed deliveries scheduled for a retry.", "counter") { $0.retried }
        family("smartpay_bus_dead_lettered_total", "Events moved to a dead-letter queue.", "counter") {
            $0.deadLettered
        }
        family("smartpay_bus_dropped_total", "Exhausted events of targets without a dead-letter queue.", "counter") {
            $0.dropped
        }
        family("smartpay_bus_lag", "Entries waiting for or in delivery, per target.", "gauge") { $0.lag }
        scalar("smartpay_bus_delayed", "Delayed events and retries not yet due.", "gauge", state.delayed)
        let name = "smartpay_bus_publish_to_invoke_seconds"
        text += "# HELP \(name) From publish to the target's invocation (first attempts).\n# TYPE \(name) histogram\n"
        for (index, bound) in Self.bounds.enumerated() {
            text += "\(name)_bucket{le=\"\(bound)\"} \(state.latencyBuckets[index])\n"
        }
        text += "\(name)_bucket{le=\"+Inf\"} \(state.latencyCount)\n\(name)_sum \(state.latencySum)\n"
        text += "\(name)_count \(state.latencyCount)\n"
        return text
    }
}
