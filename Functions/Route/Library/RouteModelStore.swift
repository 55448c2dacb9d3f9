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

    func breakerKey(_ gateway: String) -> String { prefix + "breaker:" + gateway }
    func latencyKey(_ gateway: String) -> String { prefix + "latency:" + gateway }

    /// The circuit breaker (`CircuitBreaker`'s rules, in Lua so every process shares one breaker per gateway) and
    /// the gateway's mean latency (exponentially weighted, 5 % per outcome).
    static let outcomeScript = RedisScript(
        """
        -- KEYS: breaker hash, latency, clock. ARGV: processor error (1/0), counts for the gateway (1/0), latency ms
        -- or '', consecutive limit, window, error share, cooldown, maximum cooldown.
        local step = tonumber(redis.call('GET', KEYS[3]) or '0')
        if ARGV[3] ~= '' then
          local latency = tonumber(ARGV[3])
          local previous = tonumber(redis.call('GET', KEYS[2]) or ARGV[3])
          redis.call('SET', KEYS[2], tostring(previous + (latency - previous) * 0.05))
        end
        local h = redis.call('HMGET', KEYS[1], 'state', 'consecutive', 'recent', 'opened_at', 'cooldown')
        local state = h[1] or 'closed'
        if ARGV[2] ~= '1' then return state end
        local consecutive, recent = tonumber(h[2] or '0'), h[3] or ''
        local openedAt, cooldown = tonumber(h[4] or '0'), tonumber(h[5] or '0')
        local limit, window, share = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
        local base, maximum = tonumber(ARGV[7]), tonumber(ARGV[8])
        local failed = ARGV[1] == '1'
        if state == 'open' and step - openedAt >= cooldown then state = 'half_open' end
        if state == 'half_open' then
          if failed then
            cooldown = math.min(math.max(cooldown, base) * 2, maximum)
            state, openedAt, consecutive, recent = 'open', step, 0, ''
          else
            state, consecutive, recent, cooldown = 'closed', 0, '', 0
          end
        elseif state == 'closed' then
          if failed then consecutive = consecutive + 1 else consecutive = 0 end
          recent = recent .. (failed and '1' or '0')
          if #recent > window then recent = string.sub(recent, #recent - window + 1) end
          local errors = 0
          for _ in string.gmatch(recent, '1') do errors = errors + 1 end
          if consecutive >= limit or (#recent >= window / 2 and errors / #recent >= share) then
            state, openedAt, cooldown, consecutive, recent = 'open', step, base, 0, ''
          end
        end
        redis.call('HSET', KEYS[1], 'state', state, 'consecutive', consecutive, 'recent', recent,
          'opened_at', openedAt, 'cooldown', cooldown)
        return state
        """)

    /// Records an outcome's effect on the gateway's breaker and latency; a customer's decline touches only the
    /// latency. Returns the breaker's state after it.
    @discardableResult
    public func recordOutcome(_ outcome: RouteOutcome, breaker: CircuitBreaker = CircuitBreaker())
        async throws(RedisError) -> String
    {
        let counts = outcome.authorized || outcome.processorError
        let arguments = [
            outcome.processorError ? "1" : "0", counts ? "1" : "0", outcome.latencyMs.map { String($0) } ?? "",
            String(breaker.consecutiveLimit), String(breaker.window), String(breaker.errorShare),
            String(breaker.cooldown), String(breaker.maximumCooldown),
        ]
        let reply = try await redis.evaluate(
            Self.outcomeScript,
            keys: [breakerKey(outcome.gateway), latencyKey(outcome.gateway), stepKey], arguments: arguments)
        return reply.string ?? "closed"
    }

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

    /// Every gateway's statistics, breaker and latency as they stand, and the clock.
    public func snapshot(gateways: [String]) async throws(RedisError) -> RouteSnapshot {
        var commands = [["GET", stepKey]]
        for gateway in gateways {
            commands.append(["GET", modelKey(gateway)])
            commands.append(["HMGET", breakerKey(gateway), "state", "opened_at", "cooldown"])
            commands.append(["GET", latencyKey(gateway)])
        }
        let replies = try await redis.pipeline(commands)
        var snapshot = RouteSnapshot(step: Int(replies[0].integer ?? 0))
        for (index, gateway) in gateways.enumerated() {
            let base = 1 + index * 3
            if let bytes = replies[base].bytes,
                let arm = DiscountedRidge(packed: bytes, gamma: settings.gamma, lambda: settings.lambda)
            {
                snapshot.arms[gateway] = arm
            }
            let breaker = replies[base + 1].array ?? []
            if breaker.count == 3, breaker[0].string == "open", let openedAt = breaker[1].integer,
                let cooldown = breaker[2].integer
            {
                snapshot.openUntil[gateway] = Int(openedAt + cooldown)
            }
            if let latency = replies[base + 2].string.flatMap(Double.init) { snapshot.latencyMs[gateway] = latency }
        }
        return snapshot
    }
}

/// What a route process decides from: the shared state as read at one moment.
public struct RouteSnapshot: Sendable {
    public var step: Int
    public var arms: [String: DiscountedRidge] = [:]
    /// Open breakers and the step their cooldown ends.
    public var openUntil: [String: Int] = [:]
    public var latencyMs: [String: Double] = [:]

    public init(step: Int) { self.step = step }

    /// The policy's view of each gateway at `step`.
    public func views(at step: Int) -> [String: GatewayView] {
        var views: [String: GatewayView] = [:]
        for name in Set(arms.keys).union(openUntil.keys).union(latencyMs.keys) {
            views[name] = GatewayView(
                arm: arms[name], latencyMs: latencyMs[name], open: (openUntil[name] ?? Int.min) > step)
        }
        return views
    }
}
