import Logging
import ServiceLifecycle
import SmartPayTemplate

/// What the parts of `smartpay serve` hand each other as they start: each part is a `Service` of one group, and
/// waits here for what it needs from the parts before it.
final class ServeWiring: Sendable {
    let template: Template
    let options: ServeOptions
    let logger: Logger
    /// A logger for the servers themselves, which are chatty at info.
    let quietLogger: Logger

    let redisURL = Handoff<String>()
    let sandboxes = Handoff<PaymentGatewaySandboxes>()
    let platform = Handoff<Platform>()
    let apiGuard = Handoff<APIGuard>()
    let bus = Handoff<EventBus>()
    /// The WebSocket API, nil when the template declares none.
    let webSocket = Handoff<WebSocketAPIServer?>()
    let apiPort = Handoff<Int>()
    let awsPort = Handoff<Int>()
    let webSocketPort = Handoff<Int?>()

    init(template: Template, options: ServeOptions, logger: Logger) {
        self.template = template
        self.options = options
        self.logger = logger
        var quiet = logger
        quiet.logLevel = .warning
        quietLogger = quiet
    }

    /// `http://host:port` on the runtime's address.
    func url(port: Int, scheme: String = "http") -> String { "\(scheme)://\(options.host):\(port)" }
}

/// Waits for the group's graceful shutdown (or the task's cancellation), then runs `stop` to its end: a cancelled
/// task would cut it short (its sleeps return at once), so it runs in a task of its own.
func untilShutdown(then stop: @escaping @Sendable () async -> Void = {}) async {
    try? await gracefulShutdown()
    await Task { await stop() }.value
}

/// A server's failure to start, with the hint the user needs.
func serverFailure(_ name: String, _ error: any Error) -> RuntimeError {
    RuntimeError("cannot serve: \(name): \(error) (is the port in use? try --port / --aws-port / --ws-port)")
}

/// Runs a server to its end. Its failure to serve is handed to `port`'s waiters too, which throw the same error, so
/// the group reports this one whichever ends first.
func runServer<Port>(_ name: String, port: Handoff<Port>, _ run: () async throws -> Void) async throws {
    do {
        try await run()
    } catch {
        let failure = serverFailure(name, error)
        port.fail(failure)
        throw failure
    }
}
