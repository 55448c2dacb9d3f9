import SmartPayLedger
import SmartPayRedis
import TestSupport
import Testing

/// `ledger verify` must fail, naming where, for every kind of damage: an edited line, a deleted entry, a stored
/// balance that disagrees with the journal, a seal that does not match.
@Suite("ledger verify: the hash chain, the gap-free seq, the balances and the seals")
struct LedgerVerifyTests {
    func populate(_ store: any LedgerStore) async throws {
        try await openAccounts(store, [1, 2, 3], limited: [2])
        _ = try await store.createTransfers([
            transfer(10, from: 1, to: 2, 700), transfer(11, from: 2, to: 3, 200, flags: .pending),
            transfer(12, from: 0, to: 0, 150, flags: .postPending, pending: 11),
        ])
    }

    @Test("an edited journal line is named by its seq; a re-hashed forgery breaks the next entry's link")
    func editedLine() async throws {
        let store = InMemoryLedgerStore(clock: ManualClock().now)
        try await populate(store)
        #expect(try await verify(store).ok)
        let line = await store.journal(ledger: usd, after: 3, limit: 1)[0].line
        await store.tamper(ledger: usd, seq: 4, line: line.replacingOccurrences(of: "|700|", with: "|7000|"))
        let report = try await verify(store)
        #expect(report.failureSeq == 4)
        #expect(report.failureReason?.contains("hash") == true)
        await store.tamper(
            ledger: usd, seq: 4, line: line.replacingOccurrences(of: "|700|", with: "|7000|"), rehash: true)
        #expect(try await verify(store).failureSeq == 5)
    }

    @Test("on Redis: a deleted entry is a gap; a changed balance names the account; a seal is checked")
    func redisDamage() async throws {
        try await RedisServer.with { server in
            let redis = RedisClient(configuration: server.configuration)
            let store = RedisLedgerStore(redis: redis, clock: ManualClock().now)
            try await populate(store)
            let sealed = try await LedgerVerification.seal(store, ledger: usd)
            #expect(sealed.ok)
            let report = try await verify(store)
            #expect(report.ok && report.seals == 1 && report.entries == 7, "\(report)")

            try await redis.send("HSET", "{ledger:USD}:a:" + id(3).hex, "cpo", "151")
            let changed = try await verify(store)
            #expect(changed.failureSeq == nil && changed.failureReason?.contains("acct_3") == true, "\(changed)")
            try await redis.send("HSET", "{ledger:USD}:a:" + id(3).hex, "cpo", "150")
            #expect(try await verify(store).ok)

            try await redis.send("XDEL", "{ledger:USD}:journal", "5-0")
            let gap = try await verify(store)
            #expect(gap.failureSeq == 5, "\(gap)")
        }
    }

    @Test("a seal whose digest is not the balances at its seq fails verification there")
    func wrongSeal() async throws {
        let store = InMemoryLedgerStore(clock: ManualClock().now)
        try await populate(store)
        #expect(try await LedgerVerification.seal(store, ledger: usd).ok)
        let seal = await store.journal(ledger: usd, after: 6, limit: 1)[0]
        #expect(seal.line.hasPrefix("S|7|"))
        await store.tamper(ledger: usd, seq: 7, line: String(seal.line.dropLast(4)) + "beef", rehash: true)
        let report = try await verify(store)
        #expect(report.failureSeq == 7 && report.failureReason?.contains("seal") == true, "\(report)")
    }
}
