import Foundation
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// A customer's rewards: released (minted, spendable), pending (in escrow), in micro-tokens.
public struct RewardBalance: Sendable, Equatable, Codable {
    public var released: Int64
    public var pending: Int64
    public var total: Int64 { released + pending }

    public init(released: Int64, pending: Int64) {
        self.released = released
        self.pending = pending
    }
}

public enum RewardStoreError: Error, Sendable, Equatable {
    case versionConflict(String)
    case insufficientBalance(available: Int64, requested: Int64)
}

/// The store seam: rewards by payment, the daily allowance, balances, spends.
public protocol RewardStore: Sendable {
    func load(_ id: String) async throws -> Reward?

    /// Takes what is left of the customer's daily cap for a payment, up to `amount`, once: asking again for the same
    /// payment answers what was taken the first time.
    func claimDaily(customerID: String, paymentID: String, amount: Int64, cap: Int64, day: String) async throws -> Int64

    /// Writes the reward if the stored one is still at `expectedVersion`, with the balance changes for its move,
    /// its events and events for later, atomically; the customer's cached balance is dropped.
    /// - Throws: `RewardStoreError.versionConflict` when another write came first.
    func commit(
        _ reward: Reward, expectedVersion: Int, balance: RewardBalance, events: [OutgoingEvent],
        later: ScheduledEvents?
    ) async throws -> Reward

    func balance(customerID: String) async throws -> RewardBalance

    /// Debits released rewards for a purchase, once per `paymentID`, never below zero.
    /// - Throws: `RewardStoreError.insufficientBalance`.
    func spend(customerID: String, paymentID: String, amount: Int64) async throws -> RewardBalance

    /// Gives back up to `amount` micro-tokens of a purchase paid with rewards, once per `key`.
    /// - Returns: the purchase's customer and what was credited.
    func credit(paymentID: String, key: String, amount: Int64) async throws -> (String, Int64)

    func tier(customerID: String) async throws -> String?
    func setTier(customerID: String, tier: String?) async throws

    /// The customer's Solana wallet (base58), for on-chain mints.
    func wallet(customerID: String) async throws -> String?
    func setWallet(customerID: String, wallet: String) async throws
}

/// Rewards in Redis: `reward:reward:{id}` (hash: version, json), `reward:balance:{customer}` (hash: released,
/// pending), `reward:daily:{customer}:{day}` (micro-tokens earned that UTC day, 2 days TTL) with
/// `reward:daily-claim:{payment}`, `reward:spend:{payment}` (hash: customer, tokens, refunded), `reward:credit:{key}`,
/// `reward:tier:{customer}`, and the 5-minute balance
/// cache `reward:balance-cache:{customer}`.
public struct RedisRewardStore: RewardStore {
    public let redis: RedisClient
    let publisher: RedisEventPublisher
    public static let cacheSeconds = 300

    public init(redis: RedisClient, publisher: RedisEventPublisher? = nil) {
        self.redis = redis
        self.publisher = publisher ?? RedisEventPublisher(redis: redis)
    }

    func key(_ parts: String...) -> String { "reward:" + parts.joined(separator: ":") }

    public func load(_ id: String) async throws -> Reward? {
        // The JSON carries its version: commit writes it one up before encoding.
        guard let json = try await redis.send(["HGET", key("reward", id), "json"]).string else { return nil }
        return try JSONDecoder().decode(Reward.self, from: Data(json.utf8))
    }

    static let claimScript = RedisScript(
        """
        local taken = redis.call('GET', KEYS[2])
        if taken then return tonumber(taken) end
        local earned = tonumber(redis.call('GET', KEYS[1]) or '0')
        local allowed = math.max(0, math.min(tonumber(ARGV[1]), tonumber(ARGV[2]) - earned))
        redis.call('INCRBY', KEYS[1], allowed)
        redis.call('EXPIRE', KEYS[1], 172800)
        redis.call('SET', KEYS[2], allowed, 'EX', 2592000)
        return allowed
        """)

    public func claimDaily(customerID: String, paymentID: String, amount: Int64, cap: Int64, day: String) async throws
        -> Int64
    {
        let reply = try await redis.evaluate(
            Self.claimScript, keys: [key("daily", customerID, day), key("daily-claim", paymentID)],
            arguments: [String(amount), String(cap)])
        return reply.integer ?? 0
    }

    public func commit(
        _ reward: Reward, expectedVersion: Int, balance: RewardBalance, events: [OutgoingEvent],
        later: ScheduledEvents?
    ) async throws -> Reward {
        var written = reward
        written.version = expectedVersion + 1
        let balanceKey = key("balance", reward.customerID)
        var commands: [[String]] = []
        if balance.released != 0 { commands.append(["HINCRBY", balanceKey, "released", String(balance.released)]) }
        if balance.pending != 0 { commands.append(["HINCRBY", balanceKey, "pending", String(balance.pending)]) }
        commands.append(["DEL", key("balance-cache", reward.customerID)])
        commands += try publisher.commands(for: events, later: later)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard
            try await VersionedWrite.write(
                String(decoding: try encoder.encode(written), as: UTF8.self), at: key("reward", reward.id),
                expectedVersion: expectedVersion, with: commands, on: redis)
        else { throw RewardStoreError.versionConflict(reward.id) }
        return written
    }

    static let balanceScript = RedisScript(
        """
        local cached = redis.call('GET', KEYS[2])
        if cached then return {cached, 1} end
        local values = redis.call('HMGET', KEYS[1], 'released', 'pending')
        local text = (values[1] or '0') .. ' ' .. (values[2] or '0')
        redis.call('SET', KEYS[2], text, 'EX', tonumber(ARGV[1]))
        return {text, 0}
        """)

    public func balance(customerID: String) async throws -> RewardBalance {
        let reply = try await redis.evaluate(
            Self.balanceScript, keys: [key("balance", customerID), key("balance-cache", customerID)],
            arguments: [String(Self.cacheSeconds)])
        let parts = (reply.array?.first?.string ?? "0 0").split(separator: " ").map { Int64($0) ?? 0 }
        return RewardBalance(released: parts.first ?? 0, pending: parts.count > 1 ? parts[1] : 0)
    }

    static let spendScript = RedisScript(
        """
        local pending = redis.call('HGET', KEYS[1], 'pending') or '0'
        if redis.call('EXISTS', KEYS[2]) == 1 then
          return {1, redis.call('HGET', KEYS[1], 'released') or '0', pending}
        end
        local released = tonumber(redis.call('HGET', KEYS[1], 'released') or '0')
        local amount = tonumber(ARGV[1])
        if released < amount then return {0, tostring(released), pending} end
        local left = redis.call('HINCRBY', KEYS[1], 'released', -amount)
        redis.call('HSET', KEYS[2], 'customer', ARGV[2], 'tokens', ARGV[1], 'refunded', 0)
        redis.call('EXPIRE', KEYS[2], 31536000)
        redis.call('DEL', KEYS[3])
        return {1, tostring(left), pending}
        """)

    public func spend(customerID: String, paymentID: String, amount: Int64) async throws -> RewardBalance {
        let reply = try await redis.evaluate(
            Self.spendScript,
            keys: [key("balance", customerID), key("spend", paymentID), key("balance-cache", customerID)],
            arguments: [String(amount), customerID])
        let parts = reply.array ?? []
        let left = Int64(parts.count > 1 ? parts[1].string ?? "0" : "0") ?? 0
        guard parts.first?.integer == 1 else {
            throw RewardStoreError.insufficientBalance(available: left, requested: amount)
        }
        return RewardBalance(released: left, pending: Int64(parts.count > 2 ? parts[2].string ?? "0" : "0") ?? 0)
    }

    /// Gives back up to `amount` of a purchase's spent tokens, once per `key`, never more than was spent.
    /// - Returns: the customer and the micro-tokens credited (0 when the purchase is unknown or fully given back).
    static let creditScript = RedisScript(
        """
        local done = redis.call('GET', KEYS[2])
        if done then return {redis.call('HGET', KEYS[1], 'customer') or '', done} end
        local customer = redis.call('HGET', KEYS[1], 'customer')
        if not customer then return {'', '0'} end
        local left = tonumber(redis.call('HGET', KEYS[1], 'tokens')) - tonumber(redis.call('HGET', KEYS[1], 'refunded'))
        local credit = math.max(0, math.min(tonumber(ARGV[1]), left))
        redis.call('HINCRBY', KEYS[1], 'refunded', credit)
        redis.call('HINCRBY', ARGV[2] .. customer, 'released', credit)
        redis.call('DEL', ARGV[3] .. customer)
        redis.call('SET', KEYS[2], credit, 'EX', 31536000)
        return {customer, tostring(credit)}
        """)

    public func credit(paymentID: String, key creditKey: String, amount: Int64) async throws -> (String, Int64) {
        let reply = try await redis.evaluate(
            Self.creditScript, keys: [key("spend", paymentID), key("credit", creditKey)],
            arguments: [String(amount), key("balance") + ":", key("balance-cache") + ":"])
        let customer = reply.array?.first?.string ?? ""
        return (customer, Int64(reply.array?.last?.string ?? "0") ?? 0)
    }

    public func wallet(customerID: String) async throws -> String? {
        try await redis.send(["GET", key("wallet", customerID)]).string
    }

    public func setWallet(customerID: String, wallet: String) async throws {
        _ = try await redis.send(["SET", key("wallet", customerID), wallet])
    }

    public func tier(customerID: String) async throws -> String? {
        try await redis.send(["GET", key("tier", customerID)]).string
    }

    public func setTier(customerID: String, tier: String?) async throws {
        if let tier {
            _ = try await redis.send(["SET", key("tier", customerID), tier])
        } else {
            _ = try await redis.send(["DEL", key("tier", customerID)])
        }
    }
}
