import Foundation
import SmartPayLedger
import SmartPayRedis
import TestSupport
import Testing

/// TigerBeetle's VOPR idea on a small scale: a seeded random workload (creates, linked chains with a bad member,
/// pending transfers, full and partial posts, voids, expiries, duplicates and near-duplicates, overdraws, balancing
/// transfers, amounts at the 2⁵³ boundary) run against the Redis script and against the Swift model, comparing
/// every reply, every balance and the journal head (seq and hash) after every batch. A failure names its seed;
/// `LEDGER_SIMULATION_SEEDS=from-to` runs others (the long run in `make bench`).
@Suite("ledger simulation: Redis against the Swift model, reply by reply, seeded", .serialized)
struct LedgerSimulationTests {
    static let seeds: [UInt64] = {
        let spec = ProcessInfo.processInfo.environment["LEDGER_SIMULATION_SEEDS"] ?? "1-12"
        let bounds = spec.split(separator: "-").compactMap { UInt64($0) }
        guard let low = bounds.first else { return [1] }
        return Array(low...(bounds.last ?? low))
    }()

    @Test("seeded workload", arguments: seeds)
    func simulate(seed: UInt64) async throws {
        try await RedisServer.with { server in
            let clock = ManualClock()
            let redis = RedisLedgerStore(redis: RedisClient(configuration: server.configuration), clock: clock.now)
            try await Self.run(seed: seed, redis: redis, clock: clock)
        }
    }

    /// One seed's workload against `redis` and a fresh model on the same clock.
    static func run(seed: UInt64, redis: RedisLedgerStore, clock: ManualClock) async throws {
        let model = InMemoryLedgerStore(clock: clock.now)
        var workload = LedgerWorkload(seed: seed)
        let accounts = workload.accounts()
        let opened = try await redis.createAccounts(accounts)
        #expect(opened == (try await model.createAccounts(accounts)), "seed \(seed): accounts")
        for step in 0..<workload.steps {
            clock.advance(micros: workload.clockStep())
            let batch = workload.batch()
            let expected = try await model.createTransfers(batch)
            let actual = try await redis.createTransfers(batch)
            workload.learn(batch, expected)
            let differing = zip(actual, expected).enumerated().filter { $0.element.0 != $0.element.1 }
                .map { "event \($0.offset): redis \($0.element.0.rawValue), model \($0.element.1.rawValue)" }
            #expect(differing.isEmpty, "seed \(seed) step \(step): \(differing.joined(separator: "; "))")
            guard differing.isEmpty,
                try await compare(redis, model, ids: accounts.map(\.id), context: "seed \(seed) step \(step)")
            else { return }
        }
        let report = try await LedgerVerification.verify(redis, ledger: usd)
        #expect(report.ok, "seed \(seed): \(report.failureReason ?? "")")
        #expect(try await LedgerVerification.verify(model, ledger: usd).ok)
    }

    /// Balances, heads and the invariants after a batch; false at the first difference.
    private static func compare(_ redis: any LedgerStore, _ model: any LedgerStore, ids: [LedgerID], context: String)
        async throws -> Bool
    {
        let stored = try await redis.lookupAccounts(ids, ledger: usd)
        let modelled = try await model.lookupAccounts(ids, ledger: usd)
        let differing = zip(stored, modelled).filter { $0.0 != $0.1 }.map { pair in
            "\(pair.1?.name ?? "?"): redis \(Self.figures(pair.0)), model \(Self.figures(pair.1))"
        }
        #expect(differing.isEmpty, "\(context): \(differing.joined(separator: "; "))")
        let head = try await redis.head(ledger: usd)
        let modelHead = try await model.head(ledger: usd)
        #expect(head == modelHead, "\(context): journal heads differ: redis \(head), model \(modelHead)")
        let all = stored.compactMap { $0 }
        let debits = all.reduce(into: (Int64(0), Int64(0))) {
            $0.0 += $1.debitsPending; $0.1 += $1.debitsPosted
        }
        let credits = all.reduce(into: (Int64(0), Int64(0))) {
            $0.0 += $1.creditsPending; $0.1 += $1.creditsPosted
        }
        #expect(debits == credits, "\(context): Σ debits ≠ Σ credits")
        for a in all {
            if a.flags.contains(.debitsMustNotExceedCredits) {
                #expect(a.debitsPending + a.debitsPosted <= a.creditsPosted, "\(context): \(a.name) past its limit")
            }
            if a.flags.contains(.creditsMustNotExceedDebits) {
                #expect(a.creditsPending + a.creditsPosted <= a.debitsPosted, "\(context): \(a.name) past its limit")
            }
        }
        return differing.isEmpty && head == modelHead
    }

    private static func figures(_ a: Account?) -> String {
        guard let a else { return "none" }
        return
            "debits \(a.debitsPending)/\(a.debitsPosted) credits \(a.creditsPending)/\(a.creditsPosted) flags \(a.flags.rawValue)"
    }
}

/// The random workload, from a seed (SplitMix64), remembering what it sent so it can repeat, post and void.
struct LedgerWorkload {
    private var state: UInt64
    private var nextID: UInt128 = 1_000
    private var sent: [NewTransfer] = []
    private var pendings: [LedgerID] = []
    let steps: Int
    let accountCount = 10

    init(seed: UInt64) {
        state = seed &* 0x9E37_79B9_7F4A_7C15
        steps = 60
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func chance(_ percent: Int) -> Bool { below(100) < percent }

    /// Ten accounts: 1–4 debit-limited, 5–6 credit-limited, the rest free; account 1 starts funded by 7.
    func accounts() -> [NewAccount] {
        (1...accountCount).map { n in
            NewAccount(
                id: LedgerID(UInt128(n)), ledger: usd, code: UInt16(n <= 4 ? 2 : 1), owner: "sim",
                name: "sim:\(n)",
                flags: n <= 4 ? .debitsMustNotExceedCredits : n <= 6 ? .creditsMustNotExceedDebits : [])
        }
    }

    /// Between batches: usually a little time, sometimes past every timeout.
    mutating func clockStep() -> Int64 {
        chance(10) ? Int64(below(400)) * 1_000_000 : Int64(below(3_000_000))
    }

    mutating func account() -> LedgerID {
        // Now and then an account that does not exist, or zero.
        if chance(3) { return chance(50) ? .zero : LedgerID(UInt128(99)) }
        return LedgerID(UInt128(1 + below(accountCount)))
    }

    mutating func amount() -> Int64 {
        switch below(100) {
        case 0: ledgerAmountLimit
        case 1: ledgerAmountLimit - Int64(below(3))
        case 2: 0
        case 3..<20: Int64(1 + below(10_000))
        default: Int64(1 + below(500))
        }
    }

    mutating func batch() -> [NewTransfer] {
        let size = 1 + below(chance(20) ? 40 : 8)
        var batch: [NewTransfer] = []
        for _ in 0..<size { batch.append(event()) }
        // Chains: link runs of events, and now and then leave the last one linked (a chain left open).
        var index = 0
        while index < batch.count {
            if chance(25) {
                let length = 1 + below(4)
                for i in index..<min(batch.count, index + length) { batch[i].flags.insert(.linked) }
                if index + length < batch.count || chance(30) {
                    batch[min(batch.count, index + length) - 1].flags.remove(.linked)
                }
                index += length
            } else {
                index += 1
            }
        }
        if chance(10) { batch[batch.count - 1].flags.insert(.linked) }
        return batch
    }

    mutating func event() -> NewTransfer {
        if !sent.isEmpty && chance(10) {
            var repeated = sent[below(sent.count)]
            repeated.flags.remove(.linked)
            if chance(40) {
                switch below(4) {
                case 0: repeated.amount += 1
                case 1: repeated.userData = "other"
                case 2: repeated.code = repeated.code == 0 ? 1 : 0
                default: repeated.debitAccountID = account()
                }
            }
            return repeated
        }
        nextID += 1
        let id = LedgerID(nextID)
        if !pendings.isEmpty && chance(30) {
            let pending = pendings[below(pendings.count)]
            let void = chance(35)
            var amount: Int64 = chance(50) ? 0 : Int64(below(700))
            if void && chance(70) { amount = 0 }
            return NewTransfer(
                id: id, debitAccountID: chance(85) ? .zero : account(), creditAccountID: .zero, amount: amount,
                pendingID: pending, ledger: usd, code: chance(90) ? 0 : 3,
                flags: void ? .voidPending : .postPending, userData: "p\(below(5))")
        }
        var flags: TransferFlags = []
        var timeout: Int64 = 0
        if chance(30) {
            flags.insert(.pending)
            timeout = chance(50) ? Int64(1 + below(300)) : 0
            if chance(3) { flags.insert(chance(50) ? .closingDebit : .closingCredit) }
        }
        if chance(8) { flags.insert(.balancingDebit) }
        if chance(5) { flags.insert(.balancingCredit) }
        if chance(2) { flags.insert(.postPending) }  // mutually exclusive with some of the above
        if chance(2) { timeout = 5 }  // reserved for pending transfers
        var debit = account()
        let credit = account()
        if chance(3) { debit = credit }
        return NewTransfer(
            id: id, debitAccountID: debit, creditAccountID: credit, amount: amount(), pendingID: .zero, ledger: usd,
            code: chance(97) ? UInt16(1 + below(3)) : 0, flags: flags, timeout: timeout,
            userData: chance(50) ? "" : "pay_\(below(1000))")
    }

    /// Remembers what committed: its ids for repeats, its pending transfers for posts and voids.
    mutating func learn(_ batch: [NewTransfer], _ results: [CreateTransferResult]) {
        for (t, result) in zip(batch, results) where result == .created {
            sent.append(t)
            if t.flags.contains(.pending) { pendings.append(t.id) }
        }
        if pendings.count > 40 { pendings.removeFirst(pendings.count - 40) }
        if sent.count > 200 { sent.removeFirst(sent.count - 200) }
    }
}
