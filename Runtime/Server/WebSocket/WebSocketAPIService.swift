import Hummingbird
import ServiceLifecycle
import SmartPayRedis
import SmartPayTemplate

/// The template's WebSocket API on `--ws-port`, when it declares one, with its quota sweep; at shutdown it stops
/// taking connections.
struct WebSocketAPIService: Service {
    let wiring: ServeWiring

    func run() async throws {
        guard let spec = wiring.template.webSocketAPI else {
            wiring.webSocket.succeed(nil)
            wiring.webSocketPort.succeed(nil)
            return await untilShutdown()
        }
        let server: WebSocketAPIServer
        do {
            server = WebSocketAPIServer(
                api: spec, invoker: try await wiring.platform.value, guardian: try await wiring.apiGuard.value,
                redis: try RedisClient(url: try await wiring.redisURL.value, maximumConnections: 16),
                options: wiring.options.webSocket, logger: wiring.logger)
        } catch {
            wiring.webSocket.fail(error)
            throw error
        }
        wiring.webSocket.succeed(server)
        let application = server.application(
            host: wiring.options.host, onRunning: { [wiring] in wiring.webSocketPort.succeed($0) },
            logger: wiring.quietLogger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await cancelWhenGracefulShutdown { await server.sweep() } }
            try await runServer("ws", port: wiring.webSocketPort) { try await application.run() }
        }
    }
}
