internal import CHiredis

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// One connection to Redis over hiredis: the only place that touches hiredis.
///
/// Calls block the calling thread; `RedisClient` runs them on its own threads, never on Swift's cooperative pool.
/// A connection that broke (I/O error, timeout, peer gone) is remade before the next command; the command that
/// saw the break fails with `connectionLost` or `timeout`, because whether the server ran it is unknown.
///
/// `@unchecked Sendable`: a connection is used by one thread at a time — `RedisClient` leases it exclusively — and
/// the raw `redisContext` pointer never leaves this class.
public final class RedisConnection: @unchecked Sendable {
    public let configuration: RedisConfiguration
    private var context: UnsafeMutablePointer<redisContext>?
    private var broken = true
    /// Reused for every command's argv, so sending allocates nothing once warm.
    private var argumentBytes: [UInt8] = []
    private var argumentLengths: [Int] = []
    private var argumentPointers: [UnsafePointer<CChar>?] = []

    /// Makes an unconnected connection; the first command connects.
    public init(configuration: RedisConfiguration) {
        self.configuration = configuration
    }

    deinit { close() }

    /// Closes the socket; a later command connects again.
    public func close() {
        if let context { redisFree(context) }
        context = nil
        broken = true
    }

    /// Connects now if not connected (or if the peer has gone away).
    /// - Throws: `RedisError.Code.connectionFailed`.
    public func connect() throws(RedisError) {
        if let context, !broken, context.pointee.err == 0, smartpay_redis_peer_closed(context) == 0 { return }
        close()
        let timeout = Self.makeTimeval(configuration.connectTimeout)
        guard let fresh = redisConnectWithTimeout(configuration.host, Int32(configuration.port), timeout) else {
            throw RedisError(.connectionFailed, "cannot allocate a connection to \(endpoint)")
        }
        if fresh.pointee.err != 0 {
            let message = Self.errorString(fresh)
            redisFree(fresh)
            throw RedisError(.connectionFailed, "\(endpoint): \(message)")
        }
        if let commandTimeout = configuration.commandTimeout {
            guard redisSetTimeout(fresh, Self.makeTimeval(commandTimeout)) == REDIS_OK else {
                let message = Self.errorString(fresh)
                redisFree(fresh)
                throw RedisError(.connectionFailed, "\(endpoint): cannot set the command timeout: \(message)")
            }
        }
        guard redisEnableKeepAlive(fresh) == REDIS_OK else {
            let message = Self.errorString(fresh)
            redisFree(fresh)
            throw RedisError(.connectionFailed, "\(endpoint): cannot enable keep-alive: \(message)")
        }
        context = fresh
        broken = false
        do {
            if let password = configuration.password {
                var auth = ["AUTH"]
                if let username = configuration.username { auth.append(username) }
                auth.append(password)
                _ = try checked(raw(auth.map { Array($0.utf8) }))
            }
            if configuration.database != 0 {
                _ = try checked(raw(["SELECT", String(configuration.database)].map { Array($0.utf8) }))
            }
        } catch {
            close()
            throw RedisError(.connectionFailed, "\(endpoint): \(error.message)")
        }
    }

    /// Sends one command and returns its reply; an error reply is thrown as `RedisError.Code.server`.
    public func send(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        try checked(try sendReturningErrors(arguments))
    }

    public func send(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try send(arguments.map { Array($0.utf8) })
    }

    /// Sends one command; an error reply comes back as `.error` instead of being thrown.
    public func sendReturningErrors(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        try connect()
        return try raw(arguments)
    }

    /// Writes every command, then reads every reply: one round trip for the lot. Error replies stay in place.
    public func pipeline(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        try connect()
        guard let context else { throw RedisError(.connectionFailed, "not connected to \(endpoint)") }
        for command in commands {
            let status = withArgv(command) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            guard status == REDIS_OK else { throw fail("cannot queue a pipelined command") }
        }
        var replies: [RedisReply] = []
        replies.reserveCapacity(commands.count)
        for _ in commands {
            var reply: UnsafeMutableRawPointer?
            guard redisGetReply(context, &reply) == REDIS_OK, let reply else {
                throw fail("pipeline broke after \(replies.count) of \(commands.count) replies")
            }
            replies.append(Self.copy(reply.assumingMemoryBound(to: redisReply.self)))
            freeReplyObject(reply)
        }
        return replies
    }

    public func pipeline(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        try pipeline(commands.map { $0.map { Array($0.utf8) } })
    }

    /// Runs the commands in `MULTI … EXEC` (one round trip) and returns their replies.
    /// - Throws: `transactionAborted` when a `WATCH`ed key changed, `server` when a command was refused at queueing
    ///   (`EXECABORT`: nothing ran).
    public func transaction(_ commands: [[[UInt8]]]) throws(RedisError) -> [RedisReply] {
        var all: [[[UInt8]]] = [[Array("MULTI".utf8)]]
        all.append(contentsOf: commands)
        all.append([Array("EXEC".utf8)])
        let replies = try pipeline(all)
        for reply in replies.dropLast() {
            if case .error(let message) = reply {
                if case .error(let execMessage) = replies.last! {
                    throw RedisError(.server, "\(execMessage) (\(message))")
                }
                throw RedisError(.server, message)
            }
        }
        switch replies.last! {
        case .array(let results): return results
        case .null: throw RedisError(.transactionAborted, "a watched key changed; nothing was written")
        case .error(let message): throw RedisError(.server, message)
        default: throw RedisError(.protocolError, "unexpected EXEC reply")
        }
    }

    public func transaction(_ commands: [[String]]) throws(RedisError) -> [RedisReply] {
        try transaction(commands.map { $0.map { Array($0.utf8) } })
    }

    // MARK: - hiredis

    private var endpoint: String { "\(configuration.host):\(configuration.port)" }

    private func raw(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        guard let context else { throw RedisError(.connectionFailed, "not connected to \(endpoint)") }
        let reply = withArgv(arguments) { argc, argv, lengths in
            redisCommandArgv(context, argc, argv, lengths)
        }
        guard let reply else { throw fail("command \(Self.commandName(arguments)) failed") }
        defer { freeReplyObject(reply) }
        return Self.copy(reply.assumingMemoryBound(to: redisReply.self))
    }

    private func checked(_ reply: RedisReply) throws(RedisError) -> RedisReply {
        if case .error(let message) = reply { throw RedisError(.server, message) }
        return reply
    }

    /// Marks the connection broken and turns hiredis's error into ours.
    private func fail(_ what: String) -> RedisError {
        broken = true
        guard let context else { return RedisError(.connectionLost, what) }
        let message = Self.errorString(context)
        let code = context.pointee.err
        if code == REDIS_ERR_IO, errno == EAGAIN || errno == EWOULDBLOCK || message.contains("temporarily unavailable")
        {
            return RedisError(.timeout, "\(what): no reply from \(endpoint) within the command timeout")
        }
        if code == REDIS_ERR_PROTOCOL { return RedisError(.protocolError, "\(what): \(message)") }
        return RedisError(.connectionLost, "\(what): \(endpoint): \(message)")
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { buffer in
            String(decoding: buffer.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }

    private static func commandName(_ arguments: [[UInt8]]) -> String {
        arguments.first.map { String(decoding: $0, as: UTF8.self).uppercased() } ?? "(empty)"
    }

    private static func makeTimeval(_ duration: Duration) -> timeval {
        let (seconds, attoseconds) = duration.components
        return timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }

    /// Lays the arguments out contiguously in reused buffers and hands hiredis argv/argvlen arrays pointing into them.
    private func withArgv<R>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> R
    ) -> R {
        argumentBytes.removeAll(keepingCapacity: true)
        argumentLengths.removeAll(keepingCapacity: true)
        for argument in arguments {
            argumentBytes.append(contentsOf: argument)
            argumentLengths.append(argument.count)
        }
        argumentBytes.append(0)
        return argumentBytes.withUnsafeBufferPointer { bytes in
            let base = UnsafeRawPointer(bytes.baseAddress!).assumingMemoryBound(to: CChar.self)
            argumentPointers.removeAll(keepingCapacity: true)
            var offset = 0
            for length in argumentLengths {
                argumentPointers.append(base + offset)
                offset += length
            }
            return argumentPointers.withUnsafeMutableBufferPointer { argv in
                argumentLengths.withUnsafeBufferPointer { argvlen in
                    body(Int32(arguments.count), argv.baseAddress!, argvlen.baseAddress!)
                }
            }
        }
    }

    private static func copy(_ reply: UnsafeMutablePointer<redisReply>) -> RedisReply {
        let value = reply.pointee
        switch value.type {
        case REDIS_REPLY_STRING:
            guard let str = value.str else { return .bulk([]) }
            return .bulk(Array(UnsafeRawBufferPointer(start: str, count: value.len)))
        case REDIS_REPLY_STATUS:
            return .status(
                value.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: value.len), as: UTF8.self) }
                    ?? "")
        case REDIS_REPLY_ERROR:
            return .error(
                value.str.map { String(decoding: UnsafeRawBufferPointer(start: $0, count: value.len), as: UTF8.self) }
                    ?? "")
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisReply] = []
            elements.reserveCapacity(value.elements)
            for index in 0..<value.elements {
                if let element = value.element[index] { elements.append(copy(element)) } else { elements.append(.null) }
            }
            return .array(elements)
        default:
            return .null
        }
    }
}
