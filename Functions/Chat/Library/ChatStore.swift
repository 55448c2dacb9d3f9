import Foundation
import SmartPayCore
import SmartPayRedis

/// A conversation: its owner, its last turns (redacted) and the payments it talked about, kept 24 hours.
public struct ChatSession: Sendable, Equatable {
    public struct Turn: Sendable, Equatable {
        public let question: String
        public let answer: String
    }

    public let id: String
    public let owner: String
    public var turns: [Turn]
    /// Payment ids in the order they were discussed, latest last.
    public var payments: [String]

    var json: JSONValue {
        .object([
            "owner": .string(owner), "payments": .array(payments.map { .string($0) }),
            "turns": .array(turns.map { .object(["q": .string($0.question), "a": .string($0.answer)]) }),
        ])
    }

    init(id: String, owner: String, turns: [Turn] = [], payments: [String] = []) {
        self.id = id
        self.owner = owner
        self.turns = turns
        self.payments = payments
    }

    init?(id: String, json: JSONValue) {
        guard let owner = json["owner"]?.stringValue else { return nil }
        self.init(
            id: id, owner: owner,
            turns: (json["turns"]?.arrayValue ?? []).compactMap { turn in
                guard let q = turn["q"]?.stringValue, let a = turn["a"]?.stringValue else { return nil }
                return Turn(question: q, answer: a)
            },
            payments: (json["payments"]?.arrayValue ?? []).compactMap(\.stringValue))
    }
}

/// Sessions (24 h) and cached general answers (1 h) in Redis.
public struct ChatStore: Sendable {
    public let redis: RedisClient
    public static let sessionSeconds = 86_400
    public static let answerSeconds = 3_600
    public static let keptTurns = 10

    public init(redis: RedisClient) { self.redis = redis }

    static func sessionKey(_ id: String) -> String { "smartpay:chat:session:\(id)" }
    static func answerKey(_ digest: String) -> String { "smartpay:chat:answer:\(digest)" }

    public func session(_ id: String) async throws(RedisError) -> ChatSession? {
        guard let bytes = try await redis.send("GET", Self.sessionKey(id)).bytes,
            let json = try? JSONParser().parse(bytes)
        else { return nil }
        return ChatSession(id: id, json: json)
    }

    public func save(_ session: ChatSession) async throws(RedisError) {
        var kept = session
        kept.turns = Array(session.turns.suffix(Self.keptTurns))
        kept.payments = Array(session.payments.suffix(Self.keptTurns))
        _ = try await redis.send(
            "SET", Self.sessionKey(session.id), kept.json.serializedString, "EX", String(Self.sessionSeconds))
    }

    public func cachedAnswer(_ digest: String) async throws(RedisError) -> JSONValue? {
        guard let bytes = try await redis.send("GET", Self.answerKey(digest)).bytes else { return nil }
        return try? JSONParser().parse(bytes)
    }

    public func cache(_ answer: JSONValue, digest: String) async throws(RedisError) {
        _ = try await redis.send(
            "SET", Self.answerKey(digest), answer.serializedString, "EX", String(Self.answerSeconds))
    }
}
