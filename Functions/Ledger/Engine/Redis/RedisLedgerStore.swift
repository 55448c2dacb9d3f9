import SmartPayRedis

/// The ledger on Redis: one Lua script commits a batch atomically and serially, as TigerBeetle's single core does,
/// under one hash tag per ledger (`{ledger:USD}:…`), so it runs on a Redis Cluster too.
///
/// The script appends each committed event's line to the journal; before a batch is answered, this client chains
/// the SHA-256 hashes of every line not yet chained (its own and any a concurrent writer committed just before)
/// into the chain stream. The lines are fixed once committed, so any writer computes the same hashes, and no batch
/// ever runs twice. Durability is the server's: with `appendfsync always` an answer means the batch and its hashes
/// are in the AOF on disk; after a crash between the two, the next writer (or `verify`) chains what was left.
///
/// Keys, per ledger L: `{ledger:L}:head` (seq, ts), `:a:<id>` accounts, `:tx` (transfer id → the seq of its journal
/// line: a transfer is its line), `:pending` (a pending transfer's state), `:accounts` (the ids),
/// `:timeouts` (pending deadlines), `:journal` (a stream, entry id `<seq>-0`, field `e` the line), `:chain` (a
/// stream, entry id `<seq>-0`, field `h` the hash);
/// and `ledger:ledgers`, the set of ledger names (a slot of its own on a cluster: `directory` is the client that
/// reaches it, the same one on a single server).
public struct RedisLedgerStore: LedgerStore {
    public let redis: RedisClient
    public let directory: RedisClient
    public let clock: LedgerClock

    public init(redis: RedisClient, directory: RedisClient? = nil, clock: @escaping LedgerClock = LedgerClocks.system) {
        self.redis = redis
        self.directory = directory ?? redis
        self.clock = clock
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
        let reply = try await evaluate("transfers", now: clock(), expected: 0, ledger: ledger, count: 0, fields: [])
        try await chain(reply, ledger: ledger)
        return reply.lines.count
    }

    public func seal(ledger: LedgerName, at head: JournalHead, accounts: Int, digest: String) async throws -> Bool {
        let reply = try await evaluate(
            "seal", now: clock(), expected: head.seq, ledger: ledger, count: 0, fields: [String(accounts), digest])
        guard reply.status == "ok" else { return false }
        try await chain(reply, ledger: ledger)
        return true
    }

    /// Chains whatever a crashed writer committed but did not chain: an empty batch does (and, as any batch,
    /// expires what is due).
    public func completeChain(ledger: LedgerName) async throws { _ = try await expirePending(ledger: ledger) }

    /// Commits the batch, then chains the journal up to it.
    private func run(_ op: String, ledger: LedgerName, count: Int, fields: [String]) async throws -> [String] {
        let reply = try await evaluate(op, now: clock(), expected: 0, ledger: ledger, count: count, fields: fields)
        try await chain(reply, ledger: ledger)
        return reply.results
    }

    /// Hashes the lines from the last chained seq to the end of this reply's batch and appends them to the chain:
    /// the lines of writers that committed in between are read from the journal.
    private func chain(_ reply: ScriptReply, ledger: LedgerName) async throws {
        guard reply.chainedSeq < reply.endSeq else { return }
        var lines: [String] = []
        if reply.chainedSeq < reply.startSeq {
            let missing = Int(reply.startSeq - reply.chainedSeq)
            let earlier = try await journalLines(ledger: ledger, after: reply.chainedSeq, limit: missing)
            guard earlier.count == missing else {
                throw RedisError(.protocolError, "the \(ledger.code) journal lacks lines after \(reply.chainedSeq)")
            }
            lines = earlier
        }
        lines += reply.lines.dropFirst(Int(max(0, reply.chainedSeq - reply.startSeq)))
        let first = reply.chainedSeq + 1
        guard Int64(lines.count) == reply.endSeq - reply.chainedSeq else {
            throw RedisError(.protocolError, "the \(ledger.code) journal's lines do not reach seq \(reply.endSeq)")
        }
        let hashes = JournalEntry.chain(lines, after: reply.chainedHash).map(\.hash)
        _ = try await redis.evaluate(
            LedgerScript.chain, keys: [Self.prefix(ledger) + "chain"], arguments: [String(first)] + hashes)
    }

    private struct ScriptReply {
        var status: String
        var startSeq: Int64
        var chainedSeq: Int64
        var chainedHash: String
        var endSeq: Int64
        var results: [String]
        var lines: [String]
    }

    private func evaluate(
        _ op: String, now: Int64, expected: Int64, ledger: LedgerName, count: Int, fields: [String]
    ) async throws(RedisError) -> ScriptReply {
        let prefix = Self.prefix(ledger)
        let reply = try await redis.evaluate(
            LedgerScript.script, keys: [prefix + "head"],
            arguments: [op, String(now), String(expected), ledger.code, String(count)] + fields)
        guard let parts = reply.array, parts.count == 8, let status = parts[0].string,
            let startSeq = parts[1].integer, let chainedSeq = parts[2].integer, let chainedHash = parts[3].string,
            let endSeq = parts[4].integer, let results = parts[6].array?.compactMap(\.string),
            let lines = parts[7].array?.compactMap(\.string)
        else { throw RedisError(.protocolError, "the ledger script answered \(reply)") }
        return ScriptReply(
            status: status, startSeq: startSeq, chainedSeq: chainedSeq, chainedHash: chainedHash, endSeq: endSeq,
            results: results, lines: lines)
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

    /// A transfer is its journal line (`:tx` maps the id to its seq) and, for a pending one, its state.
    public func lookupTransfers(_ ids: [LedgerID], ledger: LedgerName) async throws -> [Transfer?] {
        guard !ids.isEmpty else { return [] }
        let prefix = Self.prefix(ledger)
        let found = try await redis.pipeline([
            ["HMGET", prefix + "tx"] + ids.map(\.hex), ["HMGET", prefix + "pending"] + ids.map(\.hex),
        ])
        let seqs = (found[0].array ?? []).map { $0.string }
        let states = (found[1].array ?? []).map { $0.string }
        let wanted = seqs.compactMap { $0 }
        guard !wanted.isEmpty else { return ids.map { _ in nil } }
        let entries = try await redis.pipeline(wanted.map { ["XRANGE", prefix + "journal", "\($0)-0", "\($0)-0"] })
        var lines: [String: String] = [:]
        for (seq, entry) in zip(wanted, entries) {
            if let fields = entry.array?.first?.array?.last?.array, let line = Self.pairs(fields)["e"] {
                lines[seq] = line
            }
        }
        return ids.indices.map { index in
            guard index < seqs.count, let seq = seqs[index], let line = lines[seq],
                var transfer = JournalText.parseTransfer(line)
            else { return nil }
            if transfer.flags.contains(.pending) {
                transfer.state = (index < states.count ? states[index] : nil).flatMap(PendingState.init) ?? .pending
            }
            return transfer
        }
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

    /// The journal's head; its hash is the chain's last one (the genesis hash for an empty journal, empty while
    /// the head's own line is not chained yet).
    public func head(ledger: LedgerName) async throws -> JournalHead {
        let prefix = Self.prefix(ledger)
        let replies = try await redis.pipeline([
            ["HMGET", prefix + "head", "seq", "ts"], ["XREVRANGE", prefix + "chain", "+", "-", "COUNT", "1"],
        ])
        let values = replies[0].array ?? []
        guard values.count == 2, let seq = values[0].integer, let ts = values[1].integer else { return .empty }
        let last = replies[1].array?.first?.array
        let chainedSeq = last?.first?.string.flatMap(Self.seq) ?? 0
        let hash = chainedSeq == seq ? (last?.last?.array.map(Self.pairs)?["h"] ?? "") : ""
        return JournalHead(seq: seq, hash: hash, timestamp: ts)
    }

    /// Entries with seq > `after`: each line with its hash from the chain ("" for a line not chained yet).
    public func journal(ledger: LedgerName, after seq: Int64, limit: Int) async throws -> [JournalEntry] {
        guard limit > 0 else { return [] }
        let prefix = Self.prefix(ledger)
        let replies = try await redis.pipeline([
            ["XRANGE", prefix + "journal", "\(seq + 1)-0", "+", "COUNT", String(limit)],
            ["XRANGE", prefix + "chain", "\(seq + 1)-0", "+", "COUNT", String(limit)],
        ])
        var hashes: [Int64: String] = [:]
        for item in replies[1].array ?? [] {
            guard let pair = item.array, pair.count == 2, let id = pair[0].string.flatMap(Self.seq),
                let fields = pair[1].array
            else { continue }
            hashes[id] = Self.pairs(fields)["h"]
        }
        return (replies[0].array ?? []).compactMap { item in
            guard let pair = item.array, pair.count == 2, let id = pair[0].string.flatMap(Self.seq),
                let fields = pair[1].array, let line = Self.pairs(fields)["e"]
            else { return nil }
            return JournalEntry(line: line, hash: hashes[id] ?? "")
        }
    }

    private func journalLines(ledger: LedgerName, after seq: Int64, limit: Int) async throws -> [String] {
        let reply = try await redis.send(
            "XRANGE", Self.prefix(ledger) + "journal", "\(seq + 1)-0", "+", "COUNT", String(limit))
        return (reply.array ?? []).compactMap { item in
            guard let pair = item.array, pair.count == 2, let fields = pair[1].array else { return nil }
            return Self.pairs(fields)["e"]
        }
    }

    /// The seq of a stream entry id `<seq>-0`.
    private static func seq(_ id: String) -> Int64? { Int64(id.prefix { $0 != "-" }) }

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

}
