import SmartPayIO
import Synchronization

/// An async Redis client over a small pool of `RedisConnection`s, for many concurrent callers.
///
/// Each call leases one connection for its duration and runs the blocking hiredis calls on the client's own
/// threads, so Swift's cooperative pool is never blocked. Callers beyond `maximumConnections` wait their turn.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    public let maximumConnections: Int
    private let io: BlockingIOPool
    private let state: Mutex<PoolState>

    private struct PoolState {
        var idle: [RedisConnection] = []
        var opened = 0
        var waiters: [CheckedContinuation<RedisConnection, Never>] = []
    }

    /// - Parameters:
    ///   - configuration: where Redis is and the timeouts.
    ///   - maximumConnections: the most connections (and so commands in flight) at once.
    public init(configuration: RedisConfiguration, maximumConnections: Int = 8) {
        precondition(maximumConnections > 0, "a Redis client needs at least one connection")
        self.configuration = configuration
        self.maximumConnections = maximumConnections
        self.io = BlockingIOPool(maximumThreads: maximumConnections, name: "redis-io")
        self.state = Mutex(PoolState())
    }

    /// A client for a `redis://` URL.
    /// - Parameter service: what this Redis is to the caller ("the routing store"), named by its errors.
    /// - Throws: `RedisError.Code.invalidURL`.
    public convenience init(url: String, maximumConnections: Int = 8, service: String? = nil) throws(RedisError) {
        var configuration = try RedisConfiguration(url: url)
        configuration.service = service
        self.init(configuration: configuration, maximumConnections: maximumConnections)
    }

    /// Sends one command; an error reply is thrown as `RedisError.Code.server`.
    @discardableResult
    public func send(_ arguments: String...) async throws(RedisError) -> RedisReply {
        try await send(arguments)
    }

    @discardableResult
    public func send(_ arguments: [String]) async throws(RedisError) -> RedisReply {
        try await send(bytes: arguments.map { Array($0.utf8) })
    }

    /// Sends one binary-safe command.
    @discardableResult
    public func send(bytes arguments: [[UInt8]]) async throws(RedisError) -> RedisReply {
        try await withConnection { connection throws(RedisError) in try connection.send(arguments) }
    }

    /// Sends the commands in one round trip; error replies come back in place.
    public func pipeline(_ commands: [[String]]) async throws(RedisError) -> [RedisReply] {
        try await withConnection { connection throws(RedisError) in try connection.pipeline(commands) }
    }

    /// Runs the commands atomically in `MULTI … EXEC` and returns their replies.
    public func transaction(_ commands: [[String]]) async throws(RedisError) -> [RedisReply] {
        try await withConnection { connection throws(RedisError) in try connection.transaction(commands) }
    }

    /// Runs a Lua script by its SHA-1 (`EVALSHA`), loading it first when the server does not know it.
    public func evaluate(_ script: RedisScript, keys: [String], arguments: [String]) async throws(RedisError)
        -> RedisReply
    {
        try await withConnection { connection throws(RedisError) in
            try script.evaluate(on: connection, keys: keys, arguments: arguments)
        }
    }

    /// Leases a connection for a sequence of blocking calls on it (`WATCH` … `MULTI`/`EXEC`, say).
    ///
    /// `body` runs on one of the client's I/O threads and must not await.
    public func withConnection<T: Sendable>(
        _ body: @escaping @Sendable (RedisConnection) throws(RedisError) -> T
    ) async throws(RedisError) -> T {
        let connection = await lease()
        defer { release(connection) }
        do {
            return try await io.run { () throws(RedisError) -> T in try body(connection) }
        } catch var error as RedisError {
            error.service = configuration.service
            throw error
        } catch {
            var error = RedisError(.connectionFailed, "\(error)")
            error.service = configuration.service
            throw error
        }
    }

    /// Closes the idle connections; leased ones close when they come back broken or when the client goes away.
    public func closeIdleConnections() {
        let idle = state.withLock { state in
            defer {
                state.opened -= state.idle.count
                state.idle.removeAll()
            }
            return state.idle
        }
        for connection in idle { connection.close() }
    }

    private func lease() async -> RedisConnection {
        enum Lease {
            case ready(RedisConnection)
            case make
            case wait
        }
        let immediate: Lease = state.withLock { state in
            if let connection = state.idle.popLast() { return .ready(connection) }
            if state.opened < maximumConnections {
                state.opened += 1
                return .make
            }
            return .wait
        }
        switch immediate {
        case .ready(let connection): return connection
        case .make: return RedisConnection(configuration: configuration)
        case .wait:
            return await withCheckedContinuation { continuation in
                let handed: RedisConnection? = state.withLock { state in
                    if let connection = state.idle.popLast() { return connection }
                    state.waiters.append(continuation)
                    return nil
                }
                if let handed { continuation.resume(returning: handed) }
            }
        }
    }

    private func release(_ connection: RedisConnection) {
        let waiter: CheckedContinuation<RedisConnection, Never>? = state.withLock { state in
            if !state.waiters.isEmpty { return state.waiters.removeFirst() }
            state.idle.append(connection)
            return nil
        }
        waiter?.resume(returning: connection)
    }
}
