/// Writes a JSON document at a version, together with any other commands, in one Lua script: the outbox pattern the
/// stores share. The document is a hash (`version`, `json`) at `KEYS[1]`; the write happens only when the stored
/// version is still the expected one (0: none yet), and then every command runs in the same atomic step.
public enum VersionedWrite {
    public static let script = RedisScript(
        """
        local current = redis.call('HGET', KEYS[1], 'version') or '0'
        if current ~= ARGV[1] then return 0 end
        redis.call('HSET', KEYS[1], 'version', ARGV[2], 'json', ARGV[3])
        local i = 5
        for _ = 1, tonumber(ARGV[4]) do
          local n = tonumber(ARGV[i])
          local command = {}
          for k = 1, n do command[k] = ARGV[i + k] end
          i = i + n + 1
          redis.call(unpack(command))
        end
        return 1
        """)

    /// Runs the write.
    /// - Returns: false when another write came first (the stored version is not `expectedVersion`); nothing is
    ///   written then.
    public static func write(
        _ json: String, at key: String, expectedVersion: Int, with commands: [[String]], on redis: RedisClient
    ) async throws -> Bool {
        var arguments = [String(expectedVersion), String(expectedVersion + 1), json, String(commands.count)]
        for command in commands { arguments += [String(command.count)] + command }
        let reply = try await redis.evaluate(script, keys: [key], arguments: arguments)
        return reply.integer == 1
    }
}
