import Foundation
import Logging
import ServiceLifecycle
import SmartPayAuth
import SmartPayIO
import SmartPayTemplate
import UnixSignals

/// Where `smartpay serve` listens once bound.
public struct ServedPorts: Sendable {
    public let api: Int
    public let aws: Int
    /// The WebSocket API's port; nil when the template declares none.
    public let webSocket: Int?
}

/// `smartpay serve`: the whole platform on one machine.
public struct ServeOptions: Sendable {
    public var templatePath: String
    public var host = "127.0.0.1"
    public var port = 3000
    public var awsPort = 4566
    public var redisURL: String?
    /// The embedded Redis's `appendfsync`: `always` (the default) answers a write only once it is on disk — the
    /// ledger's "durable before acknowledged"; `everysec` may lose the last second in a power cut, for comparison.
    public var redisFsync: RedisFsync = .always
    public var warm = false
    public var maximumConcurrency = 10
    public var queueLimit = 100
    public var stateDirectory = ".smartpay"
    public var binaryDirectory: URL
    public var bus = EventBusOptions()
    /// Identity and limits in front of the HTTP and WebSocket APIs.
    public var apiGuard = APIGuardOptions()
    /// The WebSocket API (when the template declares one).
    public var webSocket = WebSocketOptions()
    /// Start the payment gateways' local sandboxes when no credentials are configured.
    public var sandboxes = true
    /// Where their launchers are.
    public var sandboxDirectory = "infra/sandboxes"
    /// What `GET /metrics` answers: the text of the metrics backend the executable bootstrapped (`smartpay serve`'s
    /// is Prometheus); the runtime records through swift-metrics only.
    public var metricsExposition: @Sendable () -> String = { "" }
    /// Keep the functions' output in files under `{stateDirectory}/logs` (for `smartpay logs`) instead of passing
    /// it to serve's stderr.
    public var functionLogsInFiles = true
    /// The histograms' bucket bounds by metric name, for the backend.
    public static var histogramBuckets: [String: [Duration]] { RuntimeMetrics.histogramBuckets }

    public init(templatePath: String, binaryDirectory: URL) {
        self.templatePath = templatePath
        self.binaryDirectory = binaryDirectory
    }
}

public enum RedisFsync: String, Sendable, CaseIterable {
    case always, everysec
}

public enum Serve {
    /// Runs the platform as one service group until SIGINT or SIGTERM. The parts start in dependency order (Redis,
    /// the payment gateways' sandboxes, the function processes, the bus, the servers) and stop in reverse: stop
    /// taking requests, let in-flight invocations and deliveries finish (or time out), stop the AWS endpoint, the
    /// function processes, the sandboxes and the embedded Redis. A part that fails to start stops the others the
    /// same way, and its error is thrown.
    public static func run(_ options: ServeOptions, logger: Logger, ready: (@Sendable (ServedPorts) -> Void)? = nil)
        async throws
    {
        var options = options
        if options.awsPort == 0 {
            // Functions call siblings through this endpoint (AWS_ENDPOINT_URL_LAMBDA), which they are told before
            // it binds: pick the free port now rather than after.
            options.awsPort = try LoopbackPort.free()
        }
        let wiring = ServeWiring(
            template: try TemplateLoader.load(options.templatePath), options: options, logger: logger)
        // In start-up order; the group stops them from the last to the first.
        let services: [any Service] = [
            EmbeddedRedisService(wiring: wiring), PaymentGatewaySandboxesService(wiring: wiring),
            FunctionPoolService(wiring: wiring), AWSEndpointService(wiring: wiring), EventBusService(wiring: wiring),
            WebSocketAPIService(wiring: wiring), HTTPAPIService(wiring: wiring),
            ServeAnnouncement(wiring: wiring, ready: ready),
        ]
        let group = ServiceGroup(
            configuration: .init(
                services: services.map {
                    .init(
                        service: $0, successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup)
                },
                gracefulShutdownSignals: [.sigterm, .sigint], logger: wiring.quietLogger))
        try await group.run()
        logger.info("stopped")
    }
}
