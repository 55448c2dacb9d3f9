import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// The fraud store in Redis. One Lua script per transaction records it (once per id) and reads back every history
/// the features need, so scoring costs one round trip before the model and one after (the verdict).
///
/// Keys, all under `fraud:`:
/// - `verdict:{tx}` — the verdict JSON, 30 minutes;
/// - `tx:{tx}` — `terminal|time` of a scored transaction, 60 days, for labels that come later;
/// - `customer:{id}` — sorted set by time of `tx|minor units|exponent`, 30 days;
/// - `terminal:{id}` and `terminal-fraud:{id}` — sorted sets by time of transaction ids, 37 days;
/// - `velocity:{card|ip|device}:{value}` — sorted sets by time, 1 hour;
/// - `blocklist:{kind}` — sets.
public final class RedisFraudStore: FraudStore {
    public let redis: RedisClient
    public let publisher: RedisEventPublisher
    let prefix: String

    public init(redis: RedisClient, publisher: RedisEventPublisher? = nil, prefix: String = "fraud:") {
        self.redis = redis
        self.publisher = publisher ?? RedisEventPublisher(redis: redis)
        self.prefix = prefix
    }

    static let observeScript = RedisScript(
        """
        -- KEYS: verdict, record, customer, terminal, terminal frauds, card, ip, device, then the five blocklists
        -- ARGV: t, tx id, customer member, record value, record ttl, card, ip, device, then the five blocklist values
        local cached = redis.call('GET', KEYS[1])
        if cached then return {1, cached} end
        local t = tonumber(ARGV[1])
        local day = 86400
        if redis.call('SET', KEYS[2], ARGV[4], 'NX', 'EX', ARGV[5]) then
          redis.call('ZADD', KEYS[3], t, ARGV[3])
          redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', t - 30 * day)
          redis.call('EXPIRE', KEYS[3], 31 * day)
          redis.call('ZADD', KEYS[4], t, ARGV[2])
          redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', t - 37 * day)
          redis.call('EXPIRE', KEYS[4], 38 * day)
          redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', t - 37 * day)
          for i = 6, 8 do
            if ARGV[i] ~= '' then
              redis.call('ZADD', KEYS[i], t, ARGV[2])
              redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', t - 3600)
              redis.call('EXPIRE', KEYS[i], 3660)
            end
          end
        end
        local function scores(key, low, high)
          local pairs = redis.call('ZRANGEBYSCORE', key, '(' .. low, high, 'WITHSCORES')
          local result = {}
          for i = 2, #pairs, 2 do result[#result + 1] = pairs[i] end
          return result
        end
        local customer = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. (t - 30 * day), t, 'WITHSCORES')
        local terminal = scores(KEYS[4], t - 37 * day, t - 7 * day)
        local frauds = scores(KEYS[5], t - 37 * day, t - 7 * day)
        local velocity = {}
        for i = 6, 8 do
          if ARGV[i] ~= '' then velocity[#velocity + 1] = scores(KEYS[i], t - 3600, t)
          else velocity[#velocity + 1] = false end
        end
        local blocked = {}
        for i = 9, 13 do
          blocked[#blocked + 1] = (ARGV[i] ~= '' and redis.call('SISMEMBER', KEYS[i], ARGV[i]) == 1) and 1 or 0
        end
        return {0, customer, terminal, frauds, velocity[1], velocity[2], velocity[3], blocked}
        """)

    static let saveScript = RedisScript(
        """
        -- KEYS: verdict. ARGV: verdict, ttl, then commands as (argument count, arguments…)
        if not redis.call('SET', KEYS[1], ARGV[1], 'NX', 'EX', ARGV[2]) then return 0 end
        local i = 3
        while i <= #ARGV do
          local count = tonumber(ARGV[i])
          redis.call(unpack(ARGV, i + 1, i + count))
          i = i + count + 1
        end
        return 1
        """)

    func key(_ parts: String...) -> String { prefix + parts.joined(separator: ":") }

    public func observe(_ transaction: FraudTransaction) async throws -> FraudObservation {
        try await redis.withConnection { connection throws(RedisError) in
            try self.observe(transaction, on: connection)
        }.get()
    }

    public func saveVerdict(_ verdict: [UInt8], transactionID: String, events: [OutgoingEvent]) async throws -> Bool {
        let arguments = try saveArguments(verdict, events: events)
        return try await redis.withConnection { connection throws(RedisError) in
            try self.save(arguments, transactionID: transactionID, on: connection)
        }
    }

    /// Both scripts and the decision between them on one leased connection, in one hop to an I/O thread.
    public func scoreOnce<Value: Sendable>(
        _ transaction: FraudTransaction,
        decide: @escaping @Sendable (FeatureHistory, [BlocklistKind]) throws -> FreshVerdict<Value>
    ) async throws -> ScoreOnce<Value> {
        let outcome: Result<ScoreOnce<Value>, any Error> = try await redis.withConnection {
            connection throws(RedisError) in
            do {
                switch try self.observe(transaction, on: connection).get() {
                case .cached(let json): return .success(.cached(json))
                case .history(let history, let blocklisted):
                    let fresh = try decide(history, blocklisted)
                    let arguments = try self.saveArguments(fresh.json, events: fresh.events)
                    let stored = try self.save(arguments, transactionID: transaction.id, on: connection)
                    return .success(.fresh(fresh.value, stored: stored))
                }
            } catch let error as RedisError {
                throw error
            } catch {
                return .failure(error)
            }
        }
        return try outcome.get()
    }

    /// The observe script on a leased connection; a malformed reply is returned as a failure, a Redis error thrown.
    func observe(_ transaction: FraudTransaction, on connection: RedisConnection) throws(RedisError) -> Result<
        FraudObservation, FraudStoreError
    > {
        let t = transaction.seconds
        let velocityKinds: [(BlocklistKind, String?)] = [
            (.card, transaction.cardFingerprint), (.ip, transaction.ip), (.device, transaction.deviceID),
        ]
        var keys = [
            key("verdict", transaction.id), key("tx", transaction.id), key("customer", transaction.customerID),
            key("terminal", transaction.terminalID), key("terminal-fraud", transaction.terminalID),
        ]
        keys += velocityKinds.map { key("velocity", $0.0.rawValue, $0.1 ?? "-") }
        keys += BlocklistKind.allCases.map { key("blocklist", $0.rawValue) }
        var arguments = [
            String(t), transaction.id,
            "\(transaction.id)|\(transaction.money.minorUnits)|\(transaction.money.currency.exponent)",
            "\(transaction.terminalID)|\(t)", String(FraudRetention.recordSeconds),
        ]
        arguments += velocityKinds.map { $0.1 ?? "" }
        arguments += BlocklistKind.allCases.map { $0.value(of: transaction) ?? "" }
        let reply = try Self.observeScript.evaluate(on: connection, keys: keys, arguments: arguments)
        do {
            return .success(try Self.parseObservation(reply, transaction: transaction))
        } catch {
            return .failure(error)
        }
    }

    static func parseObservation(_ reply: RedisReply, transaction: FraudTransaction) throws(FraudStoreError)
        -> FraudObservation
    {
        guard let parts = reply.array, let flag = parts.first?.integer else {
            throw FraudStoreError.malformed("observe: \(reply)")
        }
        if flag == 1 {
            guard parts.count == 2, let bytes = parts[1].bytes else {
                throw FraudStoreError.malformed("cached verdict")
            }
            return .cached(bytes)
        }
        guard parts.count == 8 else { throw FraudStoreError.malformed("observe returned \(parts.count) parts") }
        var history = FeatureHistory()
        let customer = parts[1].array ?? []
        var index = 0
        while index + 1 < customer.count {
            guard let member = customer[index].string, let time = customer[index + 1].integer else {
                throw FraudStoreError.malformed("customer history")
            }
            // `tx|minor|exponent`, read from the right: an id may contain '|'.
            let fields = member.split(separator: "|", omittingEmptySubsequences: false)
            guard fields.count >= 3, let minor = Int64(fields[fields.count - 2]),
                let exponent = Int(fields[fields.count - 1]), (0...18).contains(exponent)
            else { throw FraudStoreError.malformed("customer history entry \(member)") }
            var scale = 1.0
            for _ in 0..<exponent { scale *= 10 }
            history.customerTimes.append(time)
            history.customerAmounts.append(Double(minor) / scale)
            index += 2
        }
        func times(_ reply: RedisReply) throws(FraudStoreError) -> [Int64] {
            var result: [Int64] = []
            for element in reply.array ?? [] {
                guard let value = element.integer else { throw FraudStoreError.malformed("a time") }
                result.append(value)
            }
            return result
        }
        history.terminalTimes = try times(parts[2])
        history.terminalFraudTimes = try times(parts[3])
        history.cardTimes = transaction.cardFingerprint == nil ? nil : try times(parts[4])
        history.ipTimes = transaction.ip == nil ? nil : try times(parts[5])
        history.deviceTimes = transaction.deviceID == nil ? nil : try times(parts[6])
        let flags = parts[7].array ?? []
        var blocked: [BlocklistKind] = []
        for (kind, flag) in zip(BlocklistKind.allCases, flags) where flag.integer == 1 { blocked.append(kind) }
        return .history(history, blocklisted: blocked)
    }

    func saveArguments(_ verdict: [UInt8], events: [OutgoingEvent]) throws -> [String] {
        var arguments = [String(decoding: verdict, as: UTF8.self), String(FraudRetention.verdictSeconds)]
        for command in try publisher.commands(for: events) {
            arguments.append(String(command.count))
            arguments += command
        }
        return arguments
    }

    func save(_ arguments: [String], transactionID: String, on connection: RedisConnection) throws(RedisError)
        -> Bool
    {
        try Self.saveScript.evaluate(on: connection, keys: [key("verdict", transactionID)], arguments: arguments)
            .integer == 1
    }

    public func recordFraud(transactionID: String, terminalID: String?, time: Int64?) async throws -> LabelOutcome {
        var terminal = terminalID
        var when = time
        if let record = try await redis.send(["GET", key("tx", transactionID)]).string {
            guard let bar = record.lastIndex(of: "|"), let recorded = Int64(record[record.index(after: bar)...]) else {
                throw FraudStoreError.malformed("transaction record \(record)")
            }
            terminal = String(record[..<bar])
            when = recorded
        }
        guard let terminal, let when else { throw FraudStoreError.unknownTransaction(transactionID) }
        let fraudKey = key("terminal-fraud", terminal)
        let replies = try await redis.transaction([
            ["ZADD", fraudKey, String(when), transactionID],
            ["EXPIRE", fraudKey, String(FraudRetention.recordSeconds)],
        ])
        return LabelOutcome(transactionId: transactionID, terminalId: terminal, recorded: replies.first?.integer == 1)
    }

    public func addToBlocklist(_ kind: BlocklistKind, _ value: String) async throws -> Bool {
        try await redis.send(["SADD", key("blocklist", kind.rawValue), kind.normalize(value)]).integer == 1
    }

    public func removeFromBlocklist(_ kind: BlocklistKind, _ value: String) async throws -> Bool {
        try await redis.send(["SREM", key("blocklist", kind.rawValue), kind.normalize(value)]).integer == 1
    }

    public func blocklist(_ kind: BlocklistKind) async throws -> [String] {
        let reply = try await redis.send(["SMEMBERS", key("blocklist", kind.rawValue)])
        return (reply.array ?? []).compactMap(\.string).sorted()
    }
}
