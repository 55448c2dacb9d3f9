import Foundation
import SmartPayIO
import SmartPayRedis

/// A private `redis-server` for `smartpay serve`: 127.0.0.1 on a free port, AOF on (fsync before every reply by
/// default), data under `.smartpay/redis`.
final class EmbeddedRedis: @unchecked Sendable {
    // @unchecked: `process` is set once in `start` and read by `stop`, both called by the Platform in order.
    private var process: Subprocess?
    let port: Int
    var url: String { "redis://127.0.0.1:\(port)" }

    private init(port: Int) { self.port = port }

    static func start(directory: URL, fsync: RedisFsync = .always) async throws -> EmbeddedRedis {
        guard
            let executable = ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"].first(
                where: { FileManager.default.isExecutableFile(atPath: $0) })
        else {
            throw RuntimeError(
                "redis-server is not installed: run `make setup` (or apt-get install redis-server), or pass --redis-url"
            )
        }
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let pidFile = directory.appendingPathComponent("redis.pid").path
        await stopStale(pidFile: pidFile)
        for _ in 0..<5 {
            let redis = EmbeddedRedis(port: try LoopbackPort.free())
            let process = try Subprocess(
                path: executable,
                arguments: [
                    "--port", String(redis.port), "--bind", "127.0.0.1", "--protected-mode", "yes", "--dir",
                    directory.path,
                    "--appendonly", "yes", "--appendfsync", fsync.rawValue, "--save", "", "--daemonize", "no",
                    "--loglevel",
                    "warning",
                    "--logfile", directory.appendingPathComponent("redis.log").path, "--pidfile", pidFile,
                ], environment: ProcessInfo.processInfo.environment, newProcessGroup: true)
            redis.process = process
            let probe = RedisConnection(
                configuration: RedisConfiguration(
                    host: "127.0.0.1", port: redis.port, connectTimeout: .milliseconds(200)))
            for _ in 0..<200 {
                if process.reap() != nil { break }
                if (try? probe.send(["PING"])) == .status("PONG") { return redis }
                try await Task.sleep(for: .milliseconds(25))
            }
            await redis.stop()
        }
        throw RuntimeError("redis-server did not start (see its log above)")
    }

    /// A runtime killed with SIGKILL leaves its redis-server running (and its data directory locked by the AOF):
    /// stop that one, found by its pid file, before starting anew.
    private static func stopStale(pidFile: String) async {
        guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8),
            let pid = pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines)), pid > 1,
            let command = try? String(contentsOfFile: "/proc/\(pid)/cmdline", encoding: .utf8),
            command.contains("redis-server")
        else { return }
        kill(pid, SIGTERM)
        for _ in 0..<200 where kill(pid, 0) == 0 {
            try? await Task.sleep(for: .milliseconds(25))
        }
    }

    func stop() async {
        guard let process else { return }
        await process.terminate()
        self.process = nil
    }
}
