import SmartPayCore
import SmartPayRedis

/// Drops duplicate deliveries: the bus delivers at least once, so a consumer remembers the event ids it handled for
/// a window and skips one it has seen.
///
/// `once(_:commands:)` is the safe form: the id is claimed and the handler's Redis writes run in one script, so an
/// event is either handled (id and writes both stored) or not at all — a crash in between cannot leave it claimed
/// but unhandled.
public struct Deduplicator: Sendable {
    public let redis: RedisClient
    /// Keys are `smartpay:dedupe:{namespace}:{event id}`.
    public let namespace: String
    public let window: Duration

    public init(redis: RedisClient, namespace: String, window: Duration = .seconds(24 * 3600)) {
        self.redis = redis
        self.namespace = namespace
        self.window = window
    }

    func key(_ eventID: String) -> String { "smartpay:dedupe:\(namespace):\(eventID)" }

    var windowMilliseconds: String {
        String(max(1, window.wholeMilliseconds))
    }

    /// True the first time `eventID` is seen within the window (and marks it seen).
    public func firstSeen(_ eventID: String) async throws(RedisError) -> Bool {
        let reply = try await redis.send(["SET", key(eventID), "1", "NX", "PX", windowMilliseconds])
        return !reply.isNull
    }

    /// Runs `commands` atomically if `eventID` is new within the window, claiming it in the same step.
    /// - Returns: the commands' replies, or nil for a duplicate (nothing ran).
    public func once(_ eventID: String, commands: [[String]]) async throws(RedisError) -> [RedisReply]? {
        var arguments = [windowMilliseconds]
        for command in commands { arguments += [String(command.count)] + command }
        let reply = try await redis.evaluate(Self.script, keys: [key(eventID)], arguments: arguments)
        if reply.isNull { return nil }
        return reply.array ?? []
    }

    /// Claims the id (`SET NX PX`), then runs each command: ARGV is the window, then per command its argument
    /// count and arguments.
    static let script = RedisScript(
        """
        if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[1]) then return false end
        local replies = {}
        local i = 2
        while i <= #ARGV do
          local n = tonumber(ARGV[i])
          local command = {}
          for j = 1, n do command[j] = ARGV[i + j] end
          local reply = redis.call(unpack(command))
          replies[#replies + 1] = reply
          i = i + n + 1
        end
        return replies
        """)
}
