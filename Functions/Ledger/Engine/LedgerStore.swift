#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The ledger seam: TigerBeetle's requests over one ledger at a time. `RedisLedgerStore` is the real one; the
/// in-memory one runs the same `LedgerState` the Redis script is held to.
///
/// A batch is one ledger's (the first event's); an event on another ledger is `ledger_must_match`. Per-event
/// outcomes are results; an error means the batch was refused as a whole (`LedgerInputError`, nothing written) or
/// the store could not be reached (nothing acknowledged — retry the same batch: ids make it idempotent).
public protocol LedgerStore: Sendable {
    func createAccounts(_ accounts: [NewAccount]) async throws -> [CreateAccountResult]
    func createTransfers(_ transfers: [NewTransfer]) async throws -> [CreateTransferResult]
    /// The accounts by id, nil where there is none.
    func lookupAccounts(_ ids: [LedgerID], ledger: LedgerName) async throws -> [Account?]
    func lookupTransfers(_ ids: [LedgerID], ledger: LedgerName) async throws -> [Transfer?]
    /// Every account of the ledger, by id.
    func accounts(ledger: LedgerName) async throws -> [Account]
    /// The ledgers that have at least one account.
    func ledgers() async throws -> [LedgerName]
    func head(ledger: LedgerName) async throws -> JournalHead
    /// Journal entries with seq > `after`, oldest first, at most `limit`.
    func journal(ledger: LedgerName, after seq: Int64, limit: Int) async throws -> [JournalEntry]
    /// Expires what is due (as a batch would) without one: the pending-timeout sweep.
    func expirePending(ledger: LedgerName) async throws -> Int
    /// Chains the hashes of committed lines a crashed writer left unchained (nothing to do in memory).
    func completeChain(ledger: LedgerName) async throws
    /// Appends a seal over the balances at `head` (rebuilt from the journal by the caller): `moved` if the head is
    /// no longer `head.seq`.
    func seal(ledger: LedgerName, at head: JournalHead, accounts: Int, digest: String) async throws -> Bool
}

/// Microseconds since 1970: the ledger's timestamps. Injectable, so tests run hours of timeouts in milliseconds.
public typealias LedgerClock = @Sendable () -> Int64

public enum LedgerClocks {
    public static let system: LedgerClock = {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1_000
    }
}

/// What every store checks before a batch reaches the state machine: the batch size, one ledger, text fields the
/// journal can hold, no negative amounts or timeouts.
enum LedgerBatch {
    static func ledger(of transfers: [NewTransfer]) throws(LedgerInputError) -> LedgerName? {
        guard transfers.count <= LedgerState.batchLimit else {
            throw LedgerInputError(
                field: "transfers", "a batch holds at most \(LedgerState.batchLimit) events, not \(transfers.count)")
        }
        for (index, t) in transfers.enumerated() {
            guard t.amount >= 0 else {
                throw LedgerInputError(field: "transfers[\(index)].amount", "must not be negative (\(t.amount))")
            }
            guard t.timeout >= 0 else {
                throw LedgerInputError(field: "transfers[\(index)].timeout", "must not be negative (\(t.timeout))")
            }
            try LedgerText.check(t.userData, field: "transfers[\(index)].user_data")
        }
        return transfers.first?.ledger
    }

    static func ledger(of accounts: [NewAccount]) throws(LedgerInputError) -> LedgerName? {
        guard accounts.count <= LedgerState.batchLimit else {
            throw LedgerInputError(
                field: "accounts", "a batch holds at most \(LedgerState.batchLimit) events, not \(accounts.count)")
        }
        for (index, a) in accounts.enumerated() {
            try LedgerText.check(a.owner, field: "accounts[\(index)].owner", allowEmpty: false)
            try LedgerText.check(a.name, field: "accounts[\(index)].name")
        }
        return accounts.first?.ledger
    }
}
