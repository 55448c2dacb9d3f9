#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `route` binary. This session's state: the policy and `route --stdio` (for the benchmark); the function's
/// Lambda handler, with its state in Redis and its learning from the bus, is the next step of issue 7.
public enum RouteCommand {
    /// `ROUTE_GAMMA`, `ROUTE_ALPHA`, `ROUTE_EPSILON`, `ROUTE_LATENCY_WEIGHT`, `ROUTE_SEED` override the defaults.
    static func settingsFromEnvironment() -> RouterSettings {
        var settings = RouterSettings()
        func value(_ name: String) -> Double? { getenv(name).flatMap { Double(String(cString: $0)) } }
        if let gamma = value("ROUTE_GAMMA"), gamma > 0, gamma <= 1 { settings.gamma = gamma }
        if let alpha = value("ROUTE_ALPHA"), alpha >= 0 { settings.alpha = alpha }
        if let epsilon = value("ROUTE_EPSILON"), epsilon >= 0, epsilon < 1 { settings.epsilon = epsilon }
        if let weight = value("ROUTE_LATENCY_WEIGHT"), weight >= 0 { settings.latencyWeightPerSecond = weight }
        if let seed = value("ROUTE_SEED"), seed >= 0 { settings.seed = UInt64(seed) }
        return settings
    }

    public static func run(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) -> Never {
        if arguments == ["--stdio"] { RouteStdio.run(router: Router(settings: settingsFromEnvironment())) }
        let message =
            "usage: route --stdio   (JSON lines: decide / feedback; see Functions/Route/Library/RouteStdio.swift)\n"
            + "route: the function's Runtime API handler is not built yet; only --stdio is available\n"
        _ = message.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress!, $0.count - 1) }
        exit(2)
    }
}
