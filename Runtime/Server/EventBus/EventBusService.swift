import ServiceLifecycle
import SmartPayRedis

/// The event bus: its consumer groups made in Redis, then the router, delivery, retries and reclaim until shutdown,
/// when in-flight deliveries finish and are acknowledged.
struct EventBusService: Service {
    let wiring: ServeWiring

    func run() async throws {
        let bus = try await wiring.bus.produce { [wiring] in
            let redisURL = try await wiring.redisURL.value
            let bus = try EventBus(
                template: wiring.template, redisURL: redisURL,
                target: FunctionTarget(invoker: try await wiring.platform.value),
                options: wiring.options.bus, logger: wiring.logger)
            do {
                try await bus.prepare()
            } catch {
                throw RuntimeError(
                    "cannot set up the event bus in Redis (\(RedisConfiguration.redacted(redisURL))): \(error)")
            }
            return bus
        }
        await cancelWhenGracefulShutdown { await bus.run() }
    }
}
