import SmartPayRedis

/// A limit: `count` requests per `periodMilliseconds`, written `1000/h`, `100/m`, `1000/s` (or `off`).
public struct RateLimit: Sendable, Equatable, CustomStringConvertible {
    public let count: Int
    public let periodMilliseconds: Int64

    public init(count: Int, periodMilliseconds: Int64) {
        self.count = count
        self.periodMilliseconds = periodMilliseconds
    }

    /// - Throws: `AuthConfigurationError` naming the text; nil for `off`.
    public static func parse(_ text: String) throws(AuthConfigurationError) -> RateLimit? {
        if text == "off" { return nil }
        let parts = text.split(separator: "/")
        let periods: [Substring: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard parts.count == 2, let count = Int(parts[0]), count > 0, let period = periods[parts[1]] else {
            throw AuthConfigurationError("rate limit \"\(text)\": expected COUNT/s, /m, /h or /d (e.g. 1000/h), or off")
        }
        return RateLimit(count: count, periodMilliseconds: period)
    }

    public var description: String {
        let unit =
            [1000: "s", 60_000: "m", 3_600_000: "h", 86_400_000: "d"][periodMilliseconds] ?? "\(periodMilliseconds)ms"
        return "\(count)/\(unit)"
    }
}

/// The three tiers: per caller (API key or token subject) by route class, per client IP, and global. Defaults from
/// the Crypto Checkout design: creating 1,000/hour and reading 5,000/hour per caller, 100/minute per IP, 1,000/second
/// in all.
public struct RateLimitPolicy: Sendable {
    public var writes: RateLimit? = RateLimit(count: 1000, periodMilliseconds: 3_600_000)
    public var reads: RateLimit? = RateLimit(count: 5000, periodMilliseconds: 3_600_000)
    public var perIP: RateLimit? = RateLimit(count: 100, periodMilliseconds: 60_000)
    public var global: RateLimit? = RateLimit(count: 1000, periodMilliseconds: 1000)

    public init() {}

    public static let off: RateLimitPolicy = {
        var policy = RateLimitPolicy()
        policy.writes = nil
        policy.reads = nil
        policy.perIP = nil
        policy.global = nil
        return policy
    }()
}

/// What the limiter decided, with the figures for `RateLimit-*` and `Retry-After`, from the tier closest to its
/// limit (the one that refused, when one did).
public struct RateLimitDecision: Sendable, Equatable {
    public enum Tier: Sendable, Equatable {
        /// Per API key or token subject, for the route's class (writes or reads).
        case caller
        case ip
        case global
    }

    public let allowed: Bool
    public let tier: Tier
    /// That tier's limit.
    public let limit: RateLimit
    public let remaining: Int
    /// Seconds until the bucket is full again.
    public let resetSeconds: Int
    /// Seconds until a refused request may be retried (0 when allowed).
    public let retryAfterSeconds: Int
}

/// Token buckets in Redis, updated by one Lua script per request across every tier at once: a request is admitted
/// only when every bucket has a token, and then takes one from each, so a refusal by one tier costs the others
/// nothing. Redis's own clock (`TIME`) drives the refill, so several runtime processes share the buckets exactly.
public final class RateLimiter: Sendable {
    private static let script = RedisScript(
        """
        local t = redis.call('TIME')
        local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
        local n = #KEYS
        local tokens = {}
        local refused = 0
        for i = 1, n do
          local cap = tonumber(ARGV[2 * i - 1])
          local period = tonumber(ARGV[2 * i])
          local state = redis.call('HMGET', KEYS[i], 'tokens', 'ts')
          local tk = tonumber(state[1])
          local ts = tonumber(state[2])
          if tk == nil or ts == nil then
            tk = cap
            ts = now
          end
          tk = math.min(cap, tk + math.max(0, now - ts) * cap / period)
          tokens[i] = tk
          if tk < 1 and refused == 0 then refused = i end
        end
        local closest = refused
        if refused == 0 then
          local lowest = 2
          for i = 1, n do
            local cap = tonumber(ARGV[2 * i - 1])
            local period = tonumber(ARGV[2 * i])
            tokens[i] = tokens[i] - 1
            redis.call('HSET', KEYS[i], 'tokens', string.format('%.6f', tokens[i]), 'ts', now)
            redis.call('PEXPIRE', KEYS[i], period)
            if tokens[i] / cap < lowest then
              lowest = tokens[i] / cap
              closest = i
            end
          end
        end
        local cap = tonumber(ARGV[2 * closest - 1])
        local period = tonumber(ARGV[2 * closest])
        local tk = tokens[closest]
        local retry = 0
        if refused > 0 then retry = math.ceil((1 - tk) * period / cap / 1000) end
        local reset = math.ceil((cap - tk) * period / cap / 1000)
        return {refused == 0 and 1 or 0, closest, math.floor(tk), reset, retry}
        """)

    public let policy: RateLimitPolicy
    private let redis: RedisClient
    private let prefix: String

    public init(redis: RedisClient, policy: RateLimitPolicy, prefix: String = "smartpay:rl") {
        self.redis = redis
        self.policy = policy
        self.prefix = prefix
    }

    /// Whether the policy limits anything at all.
    public var isActive: Bool {
        policy.writes != nil || policy.reads != nil || policy.perIP != nil || policy.global != nil
    }

    /// Checks and takes one token from each tier that applies. `caller` is the API key id or token subject (nil for
    /// an anonymous request); `write` says whether the route creates or changes something.
    /// - Returns: nil when no tier applies.
    public func admit(caller: String?, write: Bool, ip: String) async throws(RedisError) -> RateLimitDecision? {
        var tiers: [(tier: RateLimitDecision.Tier, key: String, limit: RateLimit)] = []
        if let caller, let limit = write ? policy.writes : policy.reads {
            tiers.append((.caller, "\(prefix):c:\(write ? "w" : "r"):\(caller)", limit))
        }
        if let limit = policy.perIP { tiers.append((.ip, "\(prefix):ip:\(ip)", limit)) }
        if let limit = policy.global { tiers.append((.global, "\(prefix):g", limit)) }
        guard !tiers.isEmpty else { return nil }
        let reply = try await redis.evaluate(
            Self.script, keys: tiers.map(\.key),
            arguments: tiers.flatMap { [String($0.limit.count), String($0.limit.periodMilliseconds)] })
        guard let values = reply.array?.compactMap(\.integer), values.count == 5,
            (1...tiers.count).contains(Int(values[1]))
        else {
            throw RedisError(.protocolError, "the rate limiter's script answered \(reply)")
        }
        let closest = tiers[Int(values[1]) - 1]
        return RateLimitDecision(
            allowed: values[0] == 1, tier: closest.tier, limit: closest.limit, remaining: max(0, Int(values[2])),
            resetSeconds: Int(values[3]), retryAfterSeconds: Int(values[4]))
    }
}
