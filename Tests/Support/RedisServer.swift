import Foundation
import SmartPayRedis

/// A real `redis-server` for one test: started on 127.0.0.1 on a free port with no persistence, stopped after.
public final class RedisServer: @unchecked Sendable {
    // @unchecked: `process` is only touched from the test that owns the server, one call at a time.
    public let port: Int
    /// With `appendfsync always` into this folder (nil: no persistence): a reply means the write is on disk.
    public let durableDirectory: URL?
    private var process: ChildProcess?

    public var url: String { "redis://127.0.0.1:\(port)" }
    public var configuration: RedisConfiguration {
        RedisConfiguration(host: "127.0.0.1", port: port, connectTimeout: .seconds(1), commandTimeout: .seconds(2))
    }

    private init(port: Int, durableDirectory: URL? = nil) {
        self.port = port
        self.durableDirectory = durableDirectory
    }

    /// Starts a server, runs `body` with it, and stops it whatever happens.
    public static func with<T>(_ body: (RedisServer) async throws -> T) async throws -> T {
        let server = try await start()
        defer { server.stop() }
        return try await body(server)
    }

    /// Starts a server on a free port and waits until it answers PING; with `durableDirectory`, an AOF there with
    /// `appendfsync always` (a restart after `kill()` reloads it).
    public static func start(durableDirectory: URL? = nil) async throws -> RedisServer {
        var lastError: (any Error)?
        for _ in 0..<5 {
            let server = RedisServer(port: try FreePort.allocate(), durableDirectory: durableDirectory)
            do {
                try await server.launch()
                return server
            } catch {
                lastError = error
                server.stop()
            }
        }
        throw lastError ?? TestSupportError("redis-server did not start")
    }

    /// Starts the server again on the same port (after `kill()` or `stop()`).
    public func restart() async throws {
        stop()
        try await launch()
    }

    /// SIGKILL: the server dies at once, as in a crash.
    public func kill() {
        guard let process else { return }
        process.signal(SIGKILL)
        while process.isRunning { usleep(1000) }
        self.process = nil
    }

    /// SIGTERM and wait.
    public func stop() {
        process?.stop()
        process = nil
    }

    deinit { stop() }

    private func launch() async throws {
        let process = try ChildProcess(
            try Executables.find("redis-server"),
            arguments: [
                "--port", String(port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no", "--loglevel",
                "warning", "--protected-mode", "yes",
            ]
                + (durableDirectory.map { ["--appendonly", "yes", "--appendfsync", "always", "--dir", $0.path] }
                    ?? ["--appendonly", "no"]))
        self.process = process
        let probe = RedisConnection(configuration: configuration)
        for _ in 0..<200 {
            if !process.isRunning { throw TestSupportError("redis-server on port \(port) exited at start") }
            if (try? probe.send(["PING"])) == .status("PONG") { return }
            try await Task.sleep(for: .milliseconds(25))
        }
        throw TestSupportError("redis-server on port \(port) did not answer PING within 5 s")
    }
}

/// An error in the test scaffolding itself.
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
