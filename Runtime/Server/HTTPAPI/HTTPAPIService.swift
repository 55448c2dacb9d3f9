import Foundation
import Hummingbird
import ServiceLifecycle
import SmartPayAuth
import SmartPayRedis

/// The HTTP API on `--port`, with identity and limits in front of its routes; at shutdown it stops taking
/// requests and lets those in flight finish.
struct HTTPAPIService: Service {
    let wiring: ServeWiring

    func run() async throws {
        let options = wiring.options
        let platform = try await wiring.platform.value
        let guardian = try await wiring.apiGuard.produce { [wiring] in
            let redisURL = try await wiring.redisURL.value
            do {
                return try APIGuard(
                    template: wiring.template, options: options.apiGuard,
                    redis: try RedisClient(url: redisURL, maximumConnections: 16),
                    development: try DevelopmentIdentity.load(stateDirectory: options.stateDirectory),
                    apiKeySecret: try APIKeyStore.secret(
                        environment: ProcessInfo.processInfo.environment, stateDirectory: options.stateDirectory))
            } catch {
                throw RuntimeError("cannot set up identity and limits for the APIs: \(error)")
            }
        }
        let exposition = options.metricsExposition
        let router = Router(context: APIRequestContext.self)
        HTTPAPI(
            invoker: platform, routes: platform.routes, guardian: guardian,
            metrics: {
                platform.metrics.sample(pools: platform.pools)
                return exposition()
            }
        ).addRoutes(to: router)
        let application = Application(
            router: router,
            configuration: .init(address: .hostname(options.host, port: options.port), serverName: "smartpay"),
            onServerRunning: { [wiring] in wiring.apiPort.succeed($0.localAddress?.port ?? 0) },
            logger: wiring.quietLogger)
        try await runServer("api", port: wiring.apiPort) { try await application.run() }
    }
}
