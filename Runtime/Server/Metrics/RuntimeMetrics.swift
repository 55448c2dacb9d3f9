import Synchronization

/// The runtime's counters and duration histograms per function, rendered in Prometheus' text format.
final class RuntimeMetrics: Sendable {
    private struct Series {
        var invocations = 0
        var errors = 0
        var timeouts = 0
        var coldStarts = 0
        var throttles = 0
        var buckets = [Int](repeating: 0, count: RuntimeMetrics.bounds.count)
        var sum = 0.0
    }

    /// Histogram bucket bounds in seconds.
    static let bounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30]
    private let series = Mutex<[String: Series]>([:])

    func record(_ record: InvocationRecord) {
        let seconds = InvocationRecord.milliseconds(record.duration) / 1000
        series.withLock { all in
            var entry = all[record.function, default: Series()]
            entry.invocations += 1
            if !record.outcome.isSuccess { entry.errors += 1 }
            if case .timeout = record.outcome { entry.timeouts += 1 }
            if record.initDuration != nil { entry.coldStarts += 1 }
            for (index, bound) in Self.bounds.enumerated() where seconds <= bound { entry.buckets[index] += 1 }
            entry.sum += seconds
            all[record.function] = entry
        }
    }

    func throttled(_ function: String) {
        series.withLock { $0[function, default: Series()].throttles += 1 }
    }

    func render(pools: [String: FunctionPool]) -> String {
        let snapshot = series.withLock { $0 }
        var depths: [String: (Int, Int)] = [:]
        for (name, pool) in pools { depths[name] = (pool.queueDepth, pool.processCount) }
        var text = ""
        func family(_ name: String, _ help: String, _ type: String, _ value: (Series) -> Int) {
            text += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for function in snapshot.keys.sorted() {
                text += "\(name){function=\"\(function)\"} \(value(snapshot[function]!))\n"
            }
        }
        family("smartpay_invocations_total", "Invocations handled.", "counter") { $0.invocations }
        family("smartpay_invocation_errors_total", "Invocations that ended in an error.", "counter") { $0.errors }
        family("smartpay_invocation_timeouts_total", "Invocations killed at their timeout.", "counter") { $0.timeouts }
        family("smartpay_cold_starts_total", "Invocations that started a process.", "counter") { $0.coldStarts }
        family("smartpay_throttles_total", "Invocations refused with 429.", "counter") { $0.throttles }
        text +=
            "# HELP smartpay_invocation_duration_seconds Invocation duration.\n# TYPE smartpay_invocation_duration_seconds histogram\n"
        for function in snapshot.keys.sorted() {
            let entry = snapshot[function]!
            for (index, bound) in Self.bounds.enumerated() {
                text +=
                    "smartpay_invocation_duration_seconds_bucket{function=\"\(function)\",le=\"\(bound)\"} \(entry.buckets[index])\n"
            }
            text +=
                "smartpay_invocation_duration_seconds_bucket{function=\"\(function)\",le=\"+Inf\"} \(entry.invocations)\n"
            text += "smartpay_invocation_duration_seconds_sum{function=\"\(function)\"} \(entry.sum)\n"
            text += "smartpay_invocation_duration_seconds_count{function=\"\(function)\"} \(entry.invocations)\n"
        }
        text += "# HELP smartpay_queue_depth Invocations waiting for a process.\n# TYPE smartpay_queue_depth gauge\n"
        for function in depths.keys.sorted() {
            text += "smartpay_queue_depth{function=\"\(function)\"} \(depths[function]!.0)\n"
        }
        text += "# HELP smartpay_processes Warm processes.\n# TYPE smartpay_processes gauge\n"
        for function in depths.keys.sorted() {
            text += "smartpay_processes{function=\"\(function)\"} \(depths[function]!.1)\n"
        }
        return text
    }
}
