import FunctionKit
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Payments in Redis. Keys (prefix `pay:`):
/// - `payment:{id}` — a hash of `json` and `version`; written only by `commit`'s script, which checks the version
///   and runs the indexes, the idempotency outcome and the outbox's `XADD`s in the same atomic step;
/// - `by-customer:{id}`, `by-merchant:{id}` — sorted sets of payment ids by creation time;
/// - `idempotency:{scope}:{key}` — the claim and later the stored answer, 24 hours;
/// - `spend:{customer}:{currency}` — the rolling 24-hour window (`{payment id}|{amount}` by time);
/// - `merchant:{id}`, `customer:{id}` — profiles (JSON); `lock:{payment id}` — refund/cancel locks.
public final class RedisPaymentStore: PaymentStore {
    public let redis: RedisClient
    public let publisher: RedisEventPublisher
    public let prefix: String

    public init(redis: RedisClient, bus: String = "default", prefix: String = "pay:") {
        self.redis = redis
        self.publisher = RedisEventPublisher(redis: redis, bus: bus)
        self.prefix = prefix
    }

    static let releaseScript = RedisScript(
        """
        local stored = redis.call('GET', KEYS[1])
        if not stored then return 0 end
        local record = cjson.decode(stored)
        if record['state'] == 'in_progress' and record['request_id'] == ARGV[1] then
          return redis.call('DEL', KEYS[1])
        end
        return 0
        """)

    static let spendScript = RedisScript(
        """
        local now = tonumber(ARGV[1])
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - 86400000)
        local amount = tonumber(ARGV[3])
        if amount > tonumber(ARGV[4]) then return {1, 0} end
        local spent = 0
        for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
          spent = spent + tonumber(string.match(member, '|(%d+)$'))
        end
        if spent + amount > tonumber(ARGV[5]) then return {2, spent} end
        redis.call('ZADD', KEYS[1], now, ARGV[2] .. '|' .. ARGV[3])
        redis.call('PEXPIRE', KEYS[1], 86400000)
        return {0, spent}
        """)

    static let unlockScript = RedisScript(
        """
        if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
        return 0
        """)

    func key(_ parts: String...) -> String { prefix + parts.joined(separator: ":") }

    public func load(_ id: String) async throws -> Payment? {
        guard let bytes = try await redis.send(["HGET", key("payment", id), "json"]).bytes else { return nil }
        return try Self.decode(Payment.self, bytes)
    }

    public func commit(
        _ payment: Payment, expectedVersion: Int, events: [OutgoingEvent], later: ScheduledEvents?,
        completing: IdempotencyRecord?
    ) async throws -> Payment {
        var written = payment
        written.version = expectedVersion + 1
        var commands: [[String]] = [
            [
                "ZADD", key("by-customer", payment.customerID), "NX", String(payment.created.millisecondsSinceEpoch),
                payment.id,
            ],
            [
                "ZADD", key("by-merchant", payment.merchantID), "NX", String(payment.created.millisecondsSinceEpoch),
                payment.id,
            ],
        ]
        if let completing {
            commands.append([
                "SET", key("idempotency", completing.scope, completing.key), try Self.encode(completing), "EX",
                String(IdempotencyRecord.retentionSeconds),
            ])
        }
        if [.failed, .canceled].contains(payment.status) {
            // A payment that moved no money does not count against the customer's limits.
            commands.append([
                "ZREM", key("spend", payment.customerID, payment.currency.code), "\(payment.id)|\(payment.amount)",
            ])
        }
        commands += try publisher.commands(for: events, later: later)
        guard
            try await VersionedWrite.write(
                try Self.encode(written), at: key("payment", payment.id), expectedVersion: expectedVersion,
                with: commands, on: redis)
        else { throw PaymentStoreError.versionConflict(payment.id) }
        return written
    }

    public func list(_ owner: PaymentOwner, limit: Int, startingAfter: String?) async throws -> (
        payments: [Payment], hasMore: Bool
    ) {
        let index: String
        switch owner {
        case .customer(let id): index = key("by-customer", id)
        case .merchant(let id): index = key("by-merchant", id)
        }
        var start = 0
        if let startingAfter {
            guard let rank = try await redis.send(["ZREVRANK", index, startingAfter]).integer else {
                throw PaymentError.invalid("starting_after", "no payment \(startingAfter) in this list")
            }
            start = Int(rank) + 1
        }
        let ids = try await redis.send(["ZREVRANGE", index, String(start), String(start + limit)]).array ?? []
        let hasMore = ids.count > limit
        let page = ids.prefix(limit).compactMap(\.string)
        guard !page.isEmpty else { return ([], false) }
        let replies = try await redis.pipeline(page.map { ["HGET", key("payment", $0), "json"] })
        var payments: [Payment] = []
        for reply in replies {
            if let bytes = reply.bytes { payments.append(try Self.decode(Payment.self, bytes)) }
        }
        return (payments, hasMore)
    }

    public func beginIdempotent(_ record: IdempotencyRecord) async throws -> IdempotencyRecord? {
        let storeKey = key("idempotency", record.scope, record.key)
        let json = try Self.encode(record)
        for _ in 0..<3 {
            let claimed = try await redis.send([
                "SET", storeKey, json, "NX", "EX", String(IdempotencyRecord.retentionSeconds),
            ])
            if claimed == .status("OK") { return nil }
            if let existing = try await redis.send(["GET", storeKey]).bytes {
                return try Self.decode(IdempotencyRecord.self, existing)
            }
            // It expired between the two calls: claim again.
        }
        throw PaymentStoreError(description: "idempotency key \(record.key) could not be claimed")
    }

    public func idempotencyRecord(scope: String, key idempotencyKey: String) async throws -> IdempotencyRecord? {
        guard let bytes = try await redis.send(["GET", key("idempotency", scope, idempotencyKey)]).bytes else {
            return nil
        }
        return try Self.decode(IdempotencyRecord.self, bytes)
    }

    public func releaseIdempotent(scope: String, key idempotencyKey: String, requestID: String) async throws {
        _ = try await redis.evaluate(
            Self.releaseScript, keys: [key("idempotency", scope, idempotencyKey)], arguments: [requestID])
    }

    public func reserveSpend(
        customerID: String, money: Money, paymentID: String, limits: SpendLimits, now: Timestamp
    ) async throws -> SpendCheck {
        let reply = try await redis.evaluate(
            Self.spendScript, keys: [key("spend", customerID, money.currency.code)],
            arguments: [
                String(now.millisecondsSinceEpoch), paymentID, String(money.minorUnits), String(limits.perTransaction),
                String(limits.rolling24h),
            ])
        let values = (reply.array ?? []).compactMap(\.integer)
        guard values.count == 2 else { throw PaymentStoreError(description: "unexpected spend reply \(reply)") }
        switch values[0] {
        case 0: return .reserved(spentBefore: values[1])
        case 1: return .overTransactionLimit(limit: limits.perTransaction)
        default: return .overDailyLimit(limit: limits.rolling24h, spent: values[1])
        }
    }

    public func releaseSpend(customerID: String, money: Money, paymentID: String) async throws {
        try await redis.send([
            "ZREM", key("spend", customerID, money.currency.code), "\(paymentID)|\(money.minorUnits)",
        ])
    }

    public func merchant(_ id: String) async throws -> MerchantProfile? {
        guard let bytes = try await redis.send(["GET", key("merchant", id)]).bytes else { return nil }
        return try Self.decode(MerchantProfile.self, bytes)
    }

    public func saveMerchant(_ profile: MerchantProfile) async throws {
        try await redis.send(["SET", key("merchant", profile.id), try Self.encode(profile)])
    }

    public func customer(_ id: String) async throws -> CustomerProfile? {
        guard let bytes = try await redis.send(["GET", key("customer", id)]).bytes else { return nil }
        return try Self.decode(CustomerProfile.self, bytes)
    }

    public func saveCustomer(_ profile: CustomerProfile) async throws {
        try await redis.send(["SET", key("customer", profile.id), try Self.encode(profile)])
    }

    public func lock(_ paymentID: String, owner: String) async throws -> Bool {
        try await redis.send(["SET", key("lock", paymentID), owner, "NX", "PX", "30000"]) == .status("OK")
    }

    public func unlock(_ paymentID: String, owner: String) async throws {
        _ = try await redis.evaluate(Self.unlockScript, keys: [key("lock", paymentID)], arguments: [owner])
    }

    static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static func decode<T: Decodable>(_ type: T.Type, _ bytes: [UInt8]) throws -> T {
        try JSONDecoder().decode(type, from: Data(bytes))
    }
}
