/// The ledger in memory: `LedgerState` per ledger and the journal it wrote. For fast tests and the simulation's
/// reference; nothing survives the process.
public actor InMemoryLedgerStore: LedgerStore {
    private var states: [LedgerName: LedgerState] = [:]
    private var journals: [LedgerName: [JournalEntry]] = [:]
    private let clock: LedgerClock

    public init(clock: @escaping LedgerClock = LedgerClocks.system) { self.clock = clock }

    public func createAccounts(_ accounts: [NewAccount]) throws -> [CreateAccountResult] {
        guard let ledger = try LedgerBatch.ledger(of: accounts) else { return [] }
        return update(ledger) { $0.createAccounts(accounts, now: clock()) }
    }

    public func createTransfers(_ transfers: [NewTransfer]) throws -> [CreateTransferResult] {
        guard let ledger = try LedgerBatch.ledger(of: transfers) else { return [] }
        return update(ledger) { $0.createTransfers(transfers, now: clock()) }
    }

    public func lookupAccounts(_ ids: [LedgerID], ledger: LedgerName) -> [Account?] {
        ids.map { states[ledger]?.accounts[$0] }
    }

    public func lookupTransfers(_ ids: [LedgerID], ledger: LedgerName) -> [Transfer?] {
        ids.map { states[ledger]?.transfers[$0] }
    }

    public func accounts(ledger: LedgerName) -> [Account] {
        (states[ledger]?.accounts.values).map { $0.sorted { $0.id < $1.id } } ?? []
    }

    public func ledgers() -> [LedgerName] {
        states.filter { !$0.value.accounts.isEmpty }.keys.sorted()
    }

    public func head(ledger: LedgerName) -> JournalHead { states[ledger]?.head ?? .empty }

    public func journal(ledger: LedgerName, after seq: Int64, limit: Int) -> [JournalEntry] {
        let entries = journals[ledger] ?? []
        let start = Int(max(0, min(seq, Int64(entries.count))))
        return Array(entries[start..<min(entries.count, start + max(0, limit))])
    }

    public func expirePending(ledger: LedgerName) -> Int {
        update(ledger) { state in
            let before = state.entries.count
            state.expire(now: clock())
            return state.entries.count - before
        }
    }

    public func completeChain(ledger: LedgerName) {}

    public func seal(ledger: LedgerName, at head: JournalHead, accounts: Int, digest: String) -> Bool {
        guard self.head(ledger: ledger).seq == head.seq else { return false }
        update(ledger) { $0.seal(now: clock()) }
        return true
    }

    /// Runs `body` on the ledger's state and appends what it committed to the journal.
    private func update<T>(_ ledger: LedgerName, _ body: (inout LedgerState) -> T) -> T {
        var state = states[ledger] ?? LedgerState(ledger: ledger)
        let result = body(&state)
        journals[ledger, default: []].append(contentsOf: state.drainEntries())
        states[ledger] = state
        return result
    }

    /// Test hook: rewrites one journal line in place, as a tampering would: keeping its hash, or (`rehash`) with
    /// the hash recomputed over the previous one, as a forger who knows the scheme would.
    public func tamper(ledger: LedgerName, seq: Int64, line: String, rehash: Bool = false) {
        guard let entries = journals[ledger], seq >= 1, seq <= Int64(entries.count) else { return }
        let index = Int(seq - 1)
        let previous = index == 0 ? JournalHead.genesisHash : entries[index - 1].hash
        journals[ledger]?[index] = JournalEntry(
            line: line, hash: rehash ? JournalEntry.hash(line, after: previous) : entries[index].hash)
    }
}
