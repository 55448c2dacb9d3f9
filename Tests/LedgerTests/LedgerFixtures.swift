import SmartPayLedger
import SmartPayRedis
import Synchronization
import TestSupport
import Testing

/// A clock the test moves: microseconds, starting at a fixed instant.
final class ManualClock: Sendable {
    private let micros = Atomic<Int64>(1_767_225_600_000_000)  // 2026-01-01T00:00:00Z

    var now: LedgerClock { { [self] in micros.load(ordering: .relaxed) } }
    func advance(seconds: Int64) { micros.add(seconds * 1_000_000, ordering: .relaxed) }
    func advance(micros delta: Int64) { micros.add(delta, ordering: .relaxed) }
}

enum StoreKind: String, CaseIterable, CustomTestStringConvertible {
    case memory, redis
    var testDescription: String { rawValue }
}

/// Runs `body` with a fresh store of the kind: in memory, or on a real redis-server started for the test.
func withStore<T>(
    _ kind: StoreKind, clock: ManualClock = ManualClock(), _ body: (any LedgerStore, ManualClock) async throws -> T
) async throws -> T {
    switch kind {
    case .memory:
        return try await body(InMemoryLedgerStore(clock: clock.now), clock)
    case .redis:
        return try await RedisServer.with { server in
            let store = RedisLedgerStore(redis: RedisClient(configuration: server.configuration), clock: clock.now)
            return try await body(store, clock)
        }
    }
}

let usd = try! LedgerName("USD")

func id(_ n: UInt128) -> LedgerID { LedgerID(n) }

/// Accounts 1…n on USD: odd ones plain, `limited` ones with debits_must_not_exceed_credits.
func openAccounts(
    _ store: any LedgerStore, _ ids: [UInt128], limited: Set<UInt128> = [], creditLimited: Set<UInt128> = []
) async throws {
    let results = try await store.createAccounts(
        ids.map { n in
            NewAccount(
                id: id(n), ledger: usd, code: 1, owner: "test", name: "acct_\(n)",
                flags: limited.contains(n)
                    ? .debitsMustNotExceedCredits : creditLimited.contains(n) ? .creditsMustNotExceedDebits : [])
        })
    precondition(results.allSatisfy { $0 == .created }, "accounts: \(results)")
}

func transfer(
    _ n: UInt128, from debit: UInt128, to credit: UInt128, _ amount: Int64, flags: TransferFlags = [],
    pending: UInt128 = 0, timeout: Int64 = 0, code: UInt16 = 1, userData: String = ""
) -> NewTransfer {
    NewTransfer(
        id: id(n), debitAccountID: id(debit), creditAccountID: id(credit), amount: amount, pendingID: id(pending),
        ledger: usd, code: code, flags: flags, timeout: timeout, userData: userData)
}

func balances(_ store: any LedgerStore, _ n: UInt128) async throws -> [Int64] {
    guard let a = try await store.lookupAccounts([id(n)], ledger: usd).first ?? nil else { return [] }
    return [a.debitsPending, a.debitsPosted, a.creditsPending, a.creditsPosted]
}

/// Replays the whole journal and checks it against the stored accounts.
func verify(_ store: any LedgerStore, _ ledger: LedgerName = usd) async throws -> VerificationReport {
    try await LedgerVerification.verify(store, ledger: ledger)
}
