import Logging
import ServiceLifecycle
import SmartPayTemplate

/// The last part to start and the first to stop: once every server is bound, says where the platform is (the log,
/// `serve.json` for `smartpay events` / `dlq`, the caller's `ready`), and at shutdown removes `serve.json` first.
struct ServeAnnouncement: Service {
    let wiring: ServeWiring
    let ready: (@Sendable (ServedPorts) -> Void)?

    func run() async throws {
        let ports: ServedPorts
        do {
            ports = try await cancelWhenGracefulShutdown { [wiring] in
                ServedPorts(
                    api: try await wiring.apiPort.value, aws: try await wiring.awsPort.value,
                    webSocket: try await wiring.webSocketPort.value)
            }
        } catch is CancellationError where Task.isShuttingDownGracefully {
            return  // SIGINT or SIGTERM before every server was up: nothing to announce, and no failure.
        }
        let options = wiring.options
        let sandboxes = try await wiring.sandboxes.value
        let routes = wiring.template.httpRoutes.map { "\($0.routeKey) → \($0.function)" }.joined(separator: ", ")
        let webSocketAPI = ports.webSocket.map { wiring.url(port: $0, scheme: "ws") }
        wiring.logger.info(
            "SmartPay is serving",
            metadata: [
                "http_api": .string(wiring.url(port: ports.api)), "aws_endpoint": .string(wiring.url(port: ports.aws)),
                "redis": .string(options.redisURL == nil ? "embedded, \(options.stateDirectory)/redis" : "external"),
                "routes": .string(routes), "websocket_api": .string(webSocketAPI ?? "none"),
            ])
        RuntimeState(
            redisURL: try await wiring.redisURL.value, httpAPI: wiring.url(port: ports.api),
            awsEndpoint: wiring.url(port: ports.aws), gateways: sandboxes.endpoints, webSocketAPI: webSocketAPI,
            sandboxSettings: sandboxes.sandboxEnvironment
        ).write(to: options.stateDirectory)
        ready?(ports)
        await untilShutdown { [wiring] in
            wiring.logger.info("shutting down")
            RuntimeState.remove(from: options.stateDirectory)
        }
    }
}
