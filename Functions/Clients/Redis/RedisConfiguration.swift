/// Where and how to reach Redis: host, port, database, credentials and timeouts.
public struct RedisConfiguration: Hashable, Sendable {
    public var host: String
    public var port: Int
    public var database: Int
    public var username: String?
    public var password: String?
    /// How long a connection attempt may take.
    public var connectTimeout: Duration
    /// How long one command (or pipeline) may wait for its reply; nil waits for ever.
    public var commandTimeout: Duration?
    /// What this Redis is to the code using it, as a message names it ("the routing store"): its errors'
    /// `dependency`, so a failure reads "the routing store is unavailable: …"; nil names Redis.
    public var service: String?

    public init(
        host: String = "127.0.0.1",
        port: Int = 6379,
        database: Int = 0,
        username: String? = nil,
        password: String? = nil,
        connectTimeout: Duration = .seconds(2),
        commandTimeout: Duration? = .seconds(5),
        service: String? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.username = username
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.service = service
    }

    /// Parses `redis://[[user]:password@]host[:port][/db]`.
    /// - Throws: `RedisError.Code.invalidURL` naming the part that is wrong.
    public init(url: String) throws(RedisError) {
        self.init()
        guard url.hasPrefix("redis://") else {
            throw RedisError(
                .invalidURL, "expected redis://[[user]:password@]host[:port][/db], got \"\(Self.redacted(url))\"")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !path.isEmpty {
                guard let database = Int(path), database >= 0 else {
                    throw RedisError(.invalidURL, "database must be a number ≥ 0, got \"\(path)\"")
                }
                self.database = database
            }
        }
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            rest = rest[rest.index(after: at)...]
            if let colon = credentials.firstIndex(of: ":") {
                let user = credentials[..<colon]
                username = user.isEmpty ? nil : Self.percentDecoded(user)
                password = Self.percentDecoded(credentials[credentials.index(after: colon)...])
            } else if !credentials.isEmpty {
                password = Self.percentDecoded(credentials)
            }
        }
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            let portText = rest[rest.index(after: colon)...]
            guard let port = Int(portText), (1...65535).contains(port) else {
                throw RedisError(.invalidURL, "port must be 1–65535, got \"\(portText)\"")
            }
            self.port = port
            rest = rest[..<colon]
        }
        if rest.hasPrefix("["), rest.hasSuffix("]") { rest = rest.dropFirst().dropLast() }
        guard !rest.isEmpty else { throw RedisError(.invalidURL, "missing host in \"\(Self.redacted(url))\"") }
        host = String(rest)
    }

    /// The URL with any password replaced by `***`, for logs.
    public static func redacted(_ url: String) -> String {
        guard let at = url.lastIndex(of: "@"), url.hasPrefix("redis://") else { return url }
        return "redis://***" + String(url[at...])
    }

    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
                let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16)
            {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
