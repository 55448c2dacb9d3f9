import SmartPayRedis

/// The ledger on Redis: one Lua script commits a batch atomically and serially, as TigerBeetle's single core does,
/// under one hash tag per ledger (`{ledger:USD}:…`), so it runs on a Redis Cluster too.
///
/// A batch runs twice: dry (nothing written; the script answers the results and the journal lines it would append
/// after head N), then, with the lines' SHA-256 chain computed here, applied on the condition that the head is
/// still N. A batch that commits in between is answered "moved" and this one starts again (`maximumAttempts`).
/// Durability is the server's: with `appendfsync always` a reply means the batch is in the AOF on disk.
///
/// Keys, per ledger L: `{ledger:L}:head` (seq, hash, ts), `:a:<id>` accounts, `:t:<id>` transfers, `:accounts` (the
/// ids), `:timeouts` (pending deadlines), `:journal` (a stream, entry id `<seq>-0`, fields `e` line and `h` hash);
/// and `ledger:ledgers`, the set of ledger names (a slot of its own on a cluster: `directory` is the client that
/// reaches it, the same one on a single server).
public struct RedisLedgerStore: LedgerStore {
    public let redis: RedisClient
    public let directory: RedisClient
    public let clock: LedgerClock
    public let maximumAttempts: Int

    public init(
        redis: RedisClient, directory: RedisClient? = nil, clock: @escaping LedgerClock = LedgerClocks.system,
        maximumAttempts: Int = 50
    ) {
        self.redis = redis
        self.directory = directory ?? redis
        self.clock = clock
        self.maximumAttempts = maximumAttempts
    }

    static func prefix(_ ledger: LedgerName) -> String { "{ledger:\(ledger.code)}:" }
    static let ledgersKey = "ledger:ledgers"

    public func createAccounts(_ accounts: [NewAccount]) async throws -> [CreateAccountResult] {
        guard let ledger = try LedgerBatch.ledger(of: accounts) else { return [] }
        var fields: [String] = []
        fields.reserveCapacity(accounts.count * 6)
        for a in accounts {
            fields += [a.id.hex, a.ledger.code, String(a.code), String(a.flags.rawValue), a.owner, a.name]
        }
        let results = try await run("accounts", ledger: ledger, count: accounts.count, fields: fields)
        if results.contains("created") { try await directory.send("SADD", Self.ledgersKey, ledger.code) }
        return try results.map { text throws(RedisError) in
            guard let result = CreateAccountResult(rawValue: text) else { throw Self.unexpected(text) }
            return result
        }
    }

    public func createTransfers(_ transfers: [NewTransfer]) async throws -> [CreateTransferResult] {
        guard let ledger = try LedgerBatch.ledger(of: transfers) else { return [] }
        var fields: [String] = []
        fields.reserveCapacity(transfers.count * 10)
        for t in transfers {
            fields += [
                t.id.hex, t.debitAccountID.hex, t.creditAccountID.hex, String(t.amount), t.pendingID.hex,
                t.ledger.code, String(t.code), String(t.flags.rawValue), String(t.timeout), t.userData,
            ]
        }
        let results = try await run("transfers", ledger: ledger, count: transfers.count, fields: fields)
        return try results.map { text throws(RedisError) in
            guard let result = CreateTransferResult(rawValue: text) else { throw Self.unexpected(text) }
            return result
        }
    }

    public func expirePending(ledger: LedgerName) async throws -> Int {
        let before = try await head(ledger: ledger).seq
        _ = try await run("transfers", ledger: ledger, count: 0, fields: [])
        return Int(try await head(ledger: ledger).seq - before)
    }

    public func seal(ledger: LedgerName, at head: JournalHead, accounts: Int, digest: String) async throws -> Bool {
        let now = clock()
        let timestamp = max(now, head.timestamp + 1)
        let line = JournalText.seal(
            seq: head.seq + 1, timestamp: timestamp, ledger: ledger, accounts: accounts, digest: digest)
        let hash = JournalEntry.hash(line, after: head.hash)
        let reply = try await evaluate(
            "seal", phase: "apply", now: now, expected: head.seq, ledger: ledger, count: 0,
            fields: [String(accounts), digest, hash])
        return reply.status == "ok"
    }

    /// Dry run, chain the hashes, apply; again from the top while another batch moves the head.
    private func run(_ op: String, ledger: LedgerName, count: Int, fields: [String]) async throws -> [String] {
        for _ in 0..<maximumAttempts {
            let now = clock()
            let dry = try await evaluate(op, phase: "dry", now: now, expected: 0, ledger: ledger, count: count, fields: fields)
            guard !dry.lines.isEmpty else { return dry.results }
            let hashes = JournalEntry.chain(dry.lines, after: dry.startHash).map(\.hash)
            let applied = try await evaluate(
                op, phase: "apply", now: now, expected: dry.startSeq, ledger: ledger, count: count,
                fields: fields + hashes)
            if applied.status == "ok" {
                guard applied.results == dry.results, applied.lines == dry.lines else {
                    throw RedisError(.protocolError, "the ledger's applied run differs from its dry run")
                }
                return applied.results
            }
        }
        throw RedisError(
            .server, "the \(ledger.code) ledger's head moved under \(maximumAttempts) attempts in a row; try again")
    }

    private struct ScriptReply {
        var status: String
        var startSeq: Int64
        var startHash: String
        var results: [String]
        var lines: [String]
    }

    private func evaluate(
        _ op: String, phase: String, now: Int64, expected: Int64, ledger: LedgerName, count: Int, fields: [String]
    ) async throws(RedisError) -> ScriptReply {
        let prefix = Self.prefix(ledger)
        let reply = try await redis.evaluate(
            LedgerScript.script, keys: [prefix + "head"],
            arguments: [op, phase, String(now), String(expected), ledger.code, String(count)] + fields)
        guard let parts = reply.array, parts.count == 7, let status = parts[0].string,
            let startSeq = parts[1].integer, let startHash = parts[2].string,
            let results = parts[5].array?.compactMap(\.string), let lines = parts[6].array?.compactMap(\.string)
        else { throw RedisError(.protocolError, "the ledger script answered \(reply)") }
        return ScriptReply(status: status, startSeq: startSeq, startHash: startHash, results: results, lines: lines)
    }

    private static func unexpected(_ text: String) -> RedisError {
        RedisError(.protocolError, "the ledger script answered an unknown result \(text.debugDescription)")
    }

    // MARK: reading

    public func lookupAccounts(_ ids: [LedgerID], ledger: LedgerName) async throws -> [Account?] {
        guard !ids.isEmpty else { return [] }
        let prefix = Self.prefix(ledger)
        let replies = try await redis.pipeline(ids.map { ["HGETALL", prefix + "a:" + $0.hex] })
        return zip(ids, replies).map { id, reply in Self.account(id: id, ledger: ledger, reply) }
    }

    public func lookupTransfers(_ ids: [LedgerID], ledger: LedgerName) async throws -> [Transfer?] {
        guard !ids.isEmpty else { return [] }
        let prefix = Self.prefix(ledger)
        let replies = try await redis.pipeline(ids.map { ["HGETALL", prefix + "t:" + $0.hex] })
        return zip(ids, replies).map { id, reply in Self.transfer(id: id, ledger: ledger, reply) }
    }

    public func accounts(ledger: LedgerName) async throws -> [Account] {
        let members = try await redis.send("SMEMBERS", Self.prefix(ledger) + "accounts")
        let ids = (members.array ?? []).compactMap { $0.string.flatMap { LedgerID(hex: $0) } }.sorted()
        var all: [Account] = []
        var start = 0
        while start < ids.count {
            let chunk = Array(ids[start..<min(ids.count, start + 500)])
            all += try await lookupAccounts(chunk, ledger: ledger).compactMap { $0 }
            start += chunk.count
        }
        return all
    }

    public func ledgers() async throws -> [LedgerName] {
        let members = try await directory.send("SMEMBERS", Self.ledgersKey)
        return (members.array ?? []).compactMap { $0.string.flatMap { try? LedgerName($0) } }.sorted()
    }

    public func head(ledger: LedgerName) async throws -> JournalHead {
        let reply = try await redis.send("HMGET", Self.prefix(ledger) + "head", "seq", "hash", "ts")
        let values = reply.array ?? []
        guard values.count == 3, let seq = values[0].integer, let hash = values[1].string,
            let ts = values[2].integer
        else { return .empty }
        return JournalHead(seq: seq, hash: hash, timestamp: ts)
    }

    public func journal(ledger: LedgerName, after seq: Int64, limit: Int) async throws -> [JournalEntry] {
        guard limit > 0 else { return [] }
        let reply = try await redis.send(
            "XRANGE", Self.prefix(ledger) + "journal", "\(seq + 1)-0", "+", "COUNT", String(limit))
        return (reply.array ?? []).compactMap { item in
            guard let pair = item.array, pair.count == 2, let fields = pair[1].array else { return nil }
            let map = Self.pairs(fields)
            guard let line = map["e"], let hash = map["h"] else { return nil }
            return JournalEntry(line: line, hash: hash)
        }
    }

    private static func pairs(_ flat: [RedisReply]) -> [String: String] {
        var map: [String: String] = [:]
        var index = 0
        while index + 1 < flat.count {
            if let key = flat[index].string, let value = flat[index + 1].string { map[key] = value }
            index += 2
        }
        return map
    }

    private static func account(id: LedgerID, ledger: LedgerName, _ reply: RedisReply) -> Account? {
        let f = pairs(reply.array ?? [])
        guard let code = f["code"].flatMap({ UInt16($0) }), let flags = f["flags"].flatMap({ Int($0) }) else {
            return nil
        }
        var account = Account(
            NewAccount(
                id: id, ledger: ledger, code: code, owner: f["owner"] ?? "", name: f["name"] ?? "",
                flags: AccountFlags(rawValue: flags)),
            timestamp: f["ts"].flatMap { Int64($0) } ?? 0)
        account.debitsPending = f["dp"].flatMap { Int64($0) } ?? 0
        account.debitsPosted = f["dpo"].flatMap { Int64($0) } ?? 0
        account.creditsPending = f["cp"].flatMap { Int64($0) } ?? 0
        account.creditsPosted = f["cpo"].flatMap { Int64($0) } ?? 0
        return account
    }

    private static func transfer(id: LedgerID, ledger: LedgerName, _ reply: RedisReply) -> Transfer? {
        let f = pairs(reply.array ?? [])
        guard let debit = f["debit"].flatMap({ LedgerID(hex: $0) }), let credit = f["credit"].flatMap({ LedgerID(hex: $0) })
        else { return nil }
        let int = { (key: String) in f[key].flatMap { Int64($0) } ?? 0 }
        return Transfer(
            id: id, debitAccountID: debit, creditAccountID: credit, amount: int("amount"), requestedAmount: int("req"),
            pendingID: f["pid"].flatMap { LedgerID(hex: $0) } ?? .zero, ledger: ledger,
            code: UInt16(clamping: int("code")), flags: TransferFlags(rawValue: Int(int("flags"))),
            timeout: int("timeout"), userData: f["ud"] ?? "", timestamp: int("ts"),
            state: f["state"].flatMap { PendingState(rawValue: $0) }, expiresAt: int("exp"))
    }
}
