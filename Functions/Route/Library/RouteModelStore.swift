import SmartPayRedis

/// The router's learned state in Redis, shared by every route process: per gateway the discounted ridge statistics
/// (`route:model:{gateway}`), and the decision clock (`route:step`) their forgetting is measured in.
///
/// An outcome is folded in by one Lua script — read, decay to the current step, add, write — so concurrent feedback
/// from any number of processes is serialised by Redis and none is lost. Processes decide from a snapshot they
/// refresh (`snapshot`), which costs one round trip for every gateway's statistics.
public final class RouteModelStore: Sendable {
    public let redis: RedisClient
    public let settings: RouterSettings
    let prefix: String

    public init(redis: RedisClient, settings: RouterSettings = RouterSettings(), prefix: String = "route:") {
        self.redis = redis
        self.settings = settings
        self.prefix = prefix
    }

    var stepKey: String { prefix + "step" }
    func modelKey(_ gateway: String) -> String { prefix + "model:" + gateway }

    static let updateScript = RedisScript(
        """
        -- KEYS: the gateway's statistics, the decision clock. ARGV: gamma, lambda, d, y, x1 … xd.
        local gamma, lambda, d, y = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
        local step = tonumber(redis.call('GET', KEYS[2]) or '0')
        local n = 3 + d * d + d
        local v = {}
        local blob = redis.call('GET', KEYS[1])
        if blob then
          if #blob ~= n * 8 then return redis.error_reply('ERR route model of another dimension') end
          local position = 1
          for i = 1, n do v[i], position = struct.unpack('<d', blob, position) end
        else
          v[1], v[2], v[3] = d, step, 0
          for i = 4, n do v[i] = 0 end
          for i = 0, d - 1 do v[4 + i * d + i] = lambda end
        end
        local elapsed = step - v[2]
        if elapsed > 0 then
          if gamma < 1 then
            local g = gamma ^ elapsed
            for i = 4, n do v[i] = v[i] * g end
            for i = 0, d - 1 do v[4 + i * d + i] = v[4 + i * d + i] + (1 - g) * lambda end
            v[3] = v[3] * g
          end
          v[2] = step
        end
        local x = {}
        for i = 1, d do x[i] = tonumber(ARGV[4 + i]) end
        for i = 1, d do
          if x[i] ~= 0 then
            local bi = 3 + d * d + i
            v[bi] = v[bi] + y * x[i]
            for j = 1, d do
              if x[j] ~= 0 then
                local aij = 3 + (i - 1) * d + j
                v[aij] = v[aij] + x[i] * x[j]
              end
            end
          end
        end
        v[3] = v[3] + 1
        local parts = {}
        for i = 1, n do parts[i] = struct.pack('<d', v[i]) end
        redis.call('SET', KEYS[1], table.concat(parts))
        return tostring(v[3])
        """)

    /// Advances the decision clock; returns the new step.
    public func tick() async throws(RedisError) -> Int {
        Int(try await redis.send(["INCR", stepKey]).integer ?? 0)
    }

    /// Folds one outcome into the gateway's statistics, atomically.
    /// - Returns: the gateway's discounted observation weight after the update.
    @discardableResult
    public func update(gateway: String, features x: [Double], authorized: Bool) async throws(RedisError) -> Double {
        var arguments = [
            String(settings.gamma), String(settings.lambda), String(x.count), authorized ? "1" : "0",
        ]
        arguments += x.map { String($0) }
        let reply = try await redis.evaluate(
            Self.updateScript, keys: [modelKey(gateway), stepKey], arguments: arguments)
        return Double(reply.string ?? "") ?? 0
    }

    /// Every gateway's statistics as they stand, and the clock.
    public func snapshot(gateways: [String]) async throws(RedisError) -> (step: Int, arms: [String: DiscountedRidge]) {
        let replies = try await redis.pipeline([["GET", stepKey]] + gateways.map { ["GET", modelKey($0)] })
        let step = Int(replies[0].integer ?? 0)
        var arms: [String: DiscountedRidge] = [:]
        for (gateway, reply) in zip(gateways, replies.dropFirst()) {
            if let bytes = reply.bytes,
                let arm = DiscountedRidge(packed: bytes, gamma: settings.gamma, lambda: settings.lambda)
            {
                arms[gateway] = arm
            }
        }
        return (step, arms)
    }
}
