import Foundation
import ServiceLifecycle

/// The platform's Redis: the one `--redis-url` / `REDIS_URL` names, or a private `redis-server` started first and
/// stopped last.
struct EmbeddedRedisService: Service {
    let wiring: ServeWiring

    func run() async throws {
        if let url = wiring.options.redisURL {
            wiring.redisURL.succeed(url)
            return await untilShutdown()
        }
        let directory = URL(fileURLWithPath: wiring.options.stateDirectory).appendingPathComponent("redis")
        let redis: EmbeddedRedis
        do {
            redis = try await EmbeddedRedis.start(directory: directory, fsync: wiring.options.redisFsync)
        } catch {
            wiring.redisURL.fail(error)
            throw error
        }
        wiring.redisURL.succeed(redis.url)
        await untilShutdown { await redis.stop() }
    }
}
