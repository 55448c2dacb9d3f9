import Foundation
import SmartPayCore
import SmartPayLedger
import SmartPayRedis

// smartpay-bench ledger-hot REDIS_URL BATCHES WRITERS   batches of 100, every transfer into one hot merchant account
// smartpay-bench ledger-chain REDIS_URL COUNT           3-leg linked chains one after another: p50/p99 latency
// smartpay-bench ledger-verify REDIS_URL ENTRIES        fill the journal to ENTRIES, then time `ledger verify`

private let usdLedger = try! LedgerName("USD")
/// Ids unique to this run, so runs can share a server.
private let run = String(UInt64.random(in: 0..<UInt64.max), radix: 36)

private func openChart(_ store: RedisLedgerStore, merchants: Int) async throws {
    var accounts = [ChartAccount.clearing(gateway: "bench").new(in: usdLedger), ChartAccount.fees.new(in: usdLedger)]
    for m in 0..<merchants { accounts += ChartAccount.merchant("m_\(m)").map { $0.new(in: usdLedger) } }
    var start = 0
    while start < accounts.count {
        _ = try await store.createAccounts(Array(accounts[start..<min(accounts.count, start + 1000)]))
        start += 1000
    }
}

private func capture(_ id: String, merchant: String, amount: Int64, linked: Bool) -> NewTransfer {
    NewTransfer(
        id: .derived("bench", id), debitAccountID: ChartAccount.clearing(gateway: "bench").id(in: usdLedger),
        creditAccountID: ChartAccount.held(merchant: merchant).id(in: usdLedger), amount: amount, ledger: usdLedger,
        code: 1, flags: linked ? .linked : [], userData: id)
}

func ledgerHot(redisURL: String, batches: Int, writers: Int) async throws {
    let store = RedisLedgerStore(redis: try RedisClient(url: redisURL, maximumConnections: writers))
    try await openChart(store, merchants: 1)
    let perWriter = batches / writers
    let started = ContinuousClock.now
    try await withThrowingTaskGroup(of: Void.self) { group in
        for writer in 0..<writers {
            group.addTask {
                for batch in 0..<perWriter {
                    let transfers = (0..<100).map { n in
                        capture("hot-\(run)-\(writer)-\(batch)-\(n)", merchant: "m_0", amount: 100, linked: false)
                    }
                    let results = try await store.createTransfers(transfers)
                    precondition(results.allSatisfy { $0 == .created }, "hot batch: \(Set(results))")
                }
            }
        }
        try await group.waitForAll()
    }
    report(
        "ledger_hot_account_batch100_\(writers)writers", operations: perWriter * writers * 100,
        elapsed: ContinuousClock.now - started)
}

func ledgerChain(redisURL: String, count: Int) async throws {
    let store = RedisLedgerStore(redis: try RedisClient(url: redisURL, maximumConnections: 1))
    try await openChart(store, merchants: 1)
    let held = ChartAccount.held(merchant: "m_0").id(in: usdLedger)
    let available = ChartAccount.available(merchant: "m_0").id(in: usdLedger)
    var latencies: [Duration] = []
    latencies.reserveCapacity(count)
    for n in 0..<count {
        let chain = [
            capture("chain-\(run)-\(n)-net", merchant: "m_0", amount: 912, linked: true),
            NewTransfer(
                id: .derived("bench", "chain-\(run)-\(n)-fee"),
                debitAccountID: ChartAccount.clearing(gateway: "bench").id(in: usdLedger),
                creditAccountID: ChartAccount.fees.id(in: usdLedger), amount: 88, ledger: usdLedger, code: 2,
                flags: .linked),
            NewTransfer(
                id: .derived("bench", "chain-\(run)-\(n)-release"), debitAccountID: held, creditAccountID: available,
                amount: 912, ledger: usdLedger, code: 4),
        ]
        let started = ContinuousClock.now
        let results = try await store.createTransfers(chain)
        latencies.append(ContinuousClock.now - started)
        precondition(results == [.created, .created, .created], "chain: \(results)")
    }
    latencies.sort()
    func ms(_ q: Double) -> String {
        let d = latencies[min(latencies.count - 1, Int(Double(latencies.count) * q))]
        return String(format: "%.2f", seconds(d) * 1000)
    }
    print("ledger_chain3_p50 \(ms(0.50)) ms")
    print("ledger_chain3_p99 \(ms(0.99)) ms")
}

func ledgerVerify(redisURL: String, entries: Int) async throws {
    let store = RedisLedgerStore(redis: try RedisClient(url: redisURL, maximumConnections: 4))
    try await openChart(store, merchants: 100)
    var head = try await store.head(ledger: usdLedger).seq
    var batch = 0
    let filling = ContinuousClock.now
    while head < entries {
        let want = min(1000, entries - Int(head))
        let transfers = (0..<want).map { n in
            capture("fill-\(run)-\(batch)-\(n)", merchant: "m_\(n % 100)", amount: Int64(100 + n), linked: false)
        }
        _ = try await store.createTransfers(transfers)
        batch += 1
        head = try await store.head(ledger: usdLedger).seq
    }
    report("ledger_fill_batch1000", operations: Int(head), elapsed: ContinuousClock.now - filling)
    let started = ContinuousClock.now
    let report = try await LedgerVerification.verify(store, ledger: usdLedger)
    let elapsed = ContinuousClock.now - started
    precondition(report.ok, "verify: \(report.failureReason ?? "")")
    print("ledger_verify_entries \(report.entries) entries")
    print("ledger_verify_seconds \(String(format: "%.2f", seconds(elapsed))) s")
}
