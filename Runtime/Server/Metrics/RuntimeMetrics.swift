import Metrics
import Synchronization

/// The runtime's metrics per function — invocations, errors, timeouts, cold starts, throttles, the duration
/// histogram, queue depth and warm processes — through swift-metrics: the executable bootstraps the backend
/// (`smartpay serve`: Prometheus, on `/metrics`); without one they cost nothing.
final class RuntimeMetrics: Sendable {
    /// The handles of one function's series, made on its first invocation.
    private struct Series: Sendable {
        let invocations: Counter
        let errors: Counter
        let timeouts: Counter
        let coldStarts: Counter
        let throttles: Counter
        let duration: Timer

        init(function: String) {
            let dimensions = [("function", function)]
            invocations = Counter(label: "smartpay_invocations_total", dimensions: dimensions)
            errors = Counter(label: "smartpay_invocation_errors_total", dimensions: dimensions)
            timeouts = Counter(label: "smartpay_invocation_timeouts_total", dimensions: dimensions)
            coldStarts = Counter(label: "smartpay_cold_starts_total", dimensions: dimensions)
            throttles = Counter(label: "smartpay_throttles_total", dimensions: dimensions)
            duration = Timer(label: Self.durationLabel, dimensions: dimensions)
        }

        static let durationLabel = "smartpay_invocation_duration_seconds"
    }

    /// Histogram bucket bounds by metric name, for the backend to use (the invocation duration's, the bus's
    /// publish-to-invoke latency's).
    static let histogramBuckets: [String: [Duration]] = [
        Series.durationLabel: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30].map {
            Duration.seconds($0)
        },
        BusMetrics.latencyLabel: BusMetrics.latencyBounds.map { Duration.seconds($0) },
    ]

    private let series = Mutex<[String: Series]>([:])

    private func series(of function: String) -> Series {
        series.withLock { all in
            if let known = all[function] { return known }
            let made = Series(function: function)
            all[function] = made
            return made
        }
    }

    func record(_ record: InvocationRecord) {
        let series = series(of: record.function)
        series.invocations.increment()
        if !record.outcome.isSuccess { series.errors.increment() }
        if case .timeout = record.outcome { series.timeouts.increment() }
        if record.initDuration != nil { series.coldStarts.increment() }
        series.duration.record(duration: record.duration)
    }

    func throttled(_ function: String) { series(of: function).throttles.increment() }

    /// Records every pool's queue depth and warm processes now (before a scrape).
    func sample(pools: [String: FunctionPool]) {
        for (function, pool) in pools {
            Gauge(label: "smartpay_queue_depth", dimensions: [("function", function)]).record(pool.queueDepth)
            Gauge(label: "smartpay_processes", dimensions: [("function", function)]).record(pool.processCount)
        }
    }
}
