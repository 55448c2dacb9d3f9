import Synchronization

/// A Lua script run by SHA-1 with `EVALSHA`; the first use (or a server that lost it: `NOSCRIPT`) loads it with
/// `SCRIPT LOAD`, so the source crosses the wire once per server.
public final class RedisScript: Sendable {
    public let source: String
    private let sha: Mutex<String?>

    public init(_ source: String) {
        self.source = source
        self.sha = Mutex(nil)
    }

    /// Runs the script on a connection (blocking).
    public func evaluate(on connection: RedisConnection, keys: [String], arguments: [String]) throws(RedisError)
        -> RedisReply
    {
        if let known = sha.withLock({ $0 }) {
            let reply = try connection.sendReturningErrors(command(sha: known, keys: keys, arguments: arguments))
            if case .error(let message) = reply {
                guard message.hasPrefix("NOSCRIPT") else { throw RedisError(.server, message) }
            } else {
                return reply
            }
        }
        let loaded = try connection.send(["SCRIPT", "LOAD", source])
        guard let digest = loaded.string else { throw RedisError(.protocolError, "SCRIPT LOAD returned no digest") }
        sha.withLock { $0 = digest }
        return try connection.send(command(sha: digest, keys: keys, arguments: arguments))
    }

    private func command(sha: String, keys: [String], arguments: [String]) -> [[UInt8]] {
        var parts = ["EVALSHA", sha, String(keys.count)]
        parts.append(contentsOf: keys)
        parts.append(contentsOf: arguments)
        return parts.map { Array($0.utf8) }
    }
}
