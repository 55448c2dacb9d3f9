import SmartPayContracts
import SmartPayRedis

/// The connections' subscriptions in Redis (`ConnectionKeys`): a set of topics per connection and a set of
/// connections per topic, changed together in one transaction.
public struct Subscriptions: Sendable {
    public let redis: RedisClient
    /// How long a connection's own topic set lives: API Gateway's 2-hour maximum and a minute.
    static let lifetimeSeconds = 7260

    public init(redis: RedisClient) { self.redis = redis }

    /// Adds topics; returns all of the connection's topics.
    public func subscribe(_ connection: String, to topics: [String]) async throws(RedisError) -> [String] {
        var commands: [[String]] = topics.map { ["SADD", ConnectionKeys.topic($0), connection] }
        commands.append(["SADD", ConnectionKeys.topics(of: connection)] + topics)
        commands.append(["EXPIRE", ConnectionKeys.topics(of: connection), String(Self.lifetimeSeconds)])
        commands.append(["SMEMBERS", ConnectionKeys.topics(of: connection)])
        return Self.strings(try await redis.transaction(commands).last).sorted()
    }

    /// Removes topics; returns the connection's remaining topics.
    public func unsubscribe(_ connection: String, from topics: [String]) async throws(RedisError) -> [String] {
        var commands: [[String]] = topics.map { ["SREM", ConnectionKeys.topic($0), connection] }
        commands.append(["SREM", ConnectionKeys.topics(of: connection)] + topics)
        commands.append(["SMEMBERS", ConnectionKeys.topics(of: connection)])
        return Self.strings(try await redis.transaction(commands).last).sorted()
    }

    public func topics(of connection: String) async throws(RedisError) -> [String] {
        Self.strings(try await redis.send("SMEMBERS", ConnectionKeys.topics(of: connection))).sorted()
    }

    /// Forgets a connection (its `$disconnect`, or a 410 from the management API), from its topics and from
    /// `alsoFrom`, where it was found (its own topic set may have expired before the topic's).
    public func remove(_ connection: String, alsoFrom found: [String] = []) async throws(RedisError) {
        let topics = Set(try await self.topics(of: connection) + found)
        var commands: [[String]] = topics.map { ["SREM", ConnectionKeys.topic($0), connection] }
        commands.append(["DEL", ConnectionKeys.topics(of: connection)])
        _ = try await redis.transaction(commands)
    }

    /// The connections subscribed to each topic.
    public func subscribers(of topics: [String]) async throws(RedisError) -> [[String]] {
        guard !topics.isEmpty else { return [] }
        return try await redis.pipeline(topics.map { ["SMEMBERS", ConnectionKeys.topic($0)] }).map(Self.strings)
    }

    static func strings(_ reply: RedisReply?) -> [String] {
        guard case .array(let items)? = reply else { return [] }
        return items.compactMap(\.string)
    }
}
