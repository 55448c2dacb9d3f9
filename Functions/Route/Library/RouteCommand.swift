#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The `route` binary's own command: `route --stdio` (JSON lines; see `RouteStdio`). Anything else runs the
/// function (`FunctionMain`).
public enum RouteCommand {
    /// Runs `--stdio` and exits; returns when the arguments ask for the function.
    public static func runIfRequested(_ arguments: [String] = Array(CommandLine.arguments.dropFirst())) {
        guard arguments.first == "--stdio" else { return }
        var environment: [String: String] = [:]
        for name in ["ROUTE_GAMMA", "ROUTE_ALPHA", "ROUTE_EPSILON", "ROUTE_LATENCY_WEIGHT", "ROUTE_SEED"] {
            if let value = getenv(name) { environment[name] = String(cString: value) }
        }
        RouteStdio.run(router: Router(settings: settings(from: environment)))
    }

    /// `ROUTE_GAMMA`, `ROUTE_ALPHA`, `ROUTE_EPSILON`, `ROUTE_LATENCY_WEIGHT`, `ROUTE_SEED` override the defaults;
    /// values out of range are ignored.
    public static func settings(from environment: [String: String]) -> RouterSettings {
        var settings = RouterSettings()
        func value(_ name: String) -> Double? { environment[name].flatMap(Double.init) }
        if let gamma = value("ROUTE_GAMMA"), gamma > 0, gamma <= 1 { settings.gamma = gamma }
        if let alpha = value("ROUTE_ALPHA"), alpha >= 0 { settings.alpha = alpha }
        if let epsilon = value("ROUTE_EPSILON"), epsilon >= 0, epsilon < 1 { settings.epsilon = epsilon }
        if let weight = value("ROUTE_LATENCY_WEIGHT"), weight >= 0 { settings.latencyWeightPerSecond = weight }
        if let seed = value("ROUTE_SEED"), seed >= 0 { settings.seed = UInt64(seed) }
        return settings
    }
}
