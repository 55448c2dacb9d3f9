import SmartPayLedger
import Testing

/// TigerBeetle's rules, each checked on both stores: the in-memory state machine and the Lua script on a real
/// redis-server.
@Suite("ledger semantics: results, chains, two-phase transfers, limits, overflow, on memory and Redis")
struct LedgerSemanticsTests {
    @Test(
        "a transfer moves posted balances; a repeat is exists; a repeat with another field names the field",
        arguments: StoreKind.allCases)
    func idempotency(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await openAccounts(store, [1, 2])
            #expect(
                try await store.createTransfers([transfer(10, from: 1, to: 2, 500, userData: "pay_1")]) == [.created])
            #expect(
                try await store.createTransfers([transfer(10, from: 1, to: 2, 500, userData: "pay_1")]) == [.exists])
            #expect(
                try await store.createTransfers([
                    transfer(10, from: 1, to: 2, 501, userData: "pay_1"),
                    transfer(10, from: 2, to: 1, 500, userData: "pay_1"),
                    transfer(10, from: 1, to: 2, 500, userData: "pay_2"),
                    transfer(10, from: 1, to: 2, 500, code: 2, userData: "pay_1"),
                    transfer(10, from: 1, to: 2, 500, flags: .pending, userData: "pay_1"),
                ]) == [
                    .existsWithDifferentAmount, .existsWithDifferentDebitAccountID, .existsWithDifferentUserData,
                    .existsWithDifferentCode, .existsWithDifferentFlags,
                ])
            #expect(try await balances(store, 1) == [0, 500, 0, 0])
            #expect(try await balances(store, 2) == [0, 0, 0, 500])
            #expect(try await verify(store).ok)
        }
    }

    @Test("field checks in TigerBeetle's order", arguments: StoreKind.allCases)
    func validation(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await openAccounts(store, [1, 2])
            let results = try await store.createTransfers([
                transfer(0, from: 1, to: 2, 5),
                NewTransfer(
                    id: .max, debitAccountID: id(1), creditAccountID: id(2), amount: 5, ledger: usd, code: 1),
                NewTransfer(
                    id: id(20), debitAccountID: id(1), creditAccountID: id(2), amount: 5,
                    ledger: try LedgerName("EUR"), code: 1),
                transfer(21, from: 0, to: 2, 5),
                transfer(22, from: 1, to: 0, 5),
                transfer(23, from: 1, to: 1, 5),
                transfer(24, from: 1, to: 2, 5, pending: 7),
                transfer(25, from: 1, to: 2, 5, timeout: 3),
                transfer(26, from: 1, to: 2, 0),
                transfer(27, from: 1, to: 2, 5, code: 0),
                transfer(28, from: 9, to: 2, 5),
                transfer(29, from: 1, to: 9, 5),
                transfer(30, from: 1, to: 2, 5, flags: [.pending, .postPending]),
                transfer(31, from: 1, to: 2, 5, flags: .closingDebit),
                NewTransfer(
                    id: id(32), debitAccountID: id(1), creditAccountID: id(2), amount: 5, ledger: usd, code: 1,
                    flags: TransferFlags(rawValue: 1 << 9)),
            ])
            #expect(
                results == [
                    .idMustNotBeZero, .idMustNotBeIntMax, .ledgerMustMatch, .debitAccountIDMustNotBeZero,
                    .creditAccountIDMustNotBeZero, .accountsMustBeDifferent, .pendingIDMustBeZero,
                    .timeoutReservedForPendingTransfer, .amountMustNotBeZero, .codeMustNotBeZero,
                    .debitAccountNotFound, .creditAccountNotFound, .flagsAreMutuallyExclusive,
                    .closingTransferMustBePending, .reservedFlag,
                ])
            #expect(try await balances(store, 1) == [0, 0, 0, 0])
            #expect(try await store.head(ledger: usd).seq == 2, "only the two accounts are in the journal")
        }
    }

    @Test("a linked chain commits whole or not at all; a chain left open fails", arguments: StoreKind.allCases)
    func linkedChains(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await openAccounts(store, [1, 2, 3], limited: [3])
            let results = try await store.createTransfers([
                transfer(10, from: 1, to: 2, 100, flags: .linked),
                transfer(11, from: 2, to: 3, 40, flags: .linked),
                transfer(12, from: 3, to: 1, 41),  // 3 holds 40: exceeds_credits breaks the chain
                transfer(13, from: 1, to: 3, 7),  // its own chain, commits
                transfer(14, from: 1, to: 2, 1, flags: .linked),
                transfer(15, from: 1, to: 2, 1, flags: .linked),
            ])
            #expect(
                results == [
                    .linkedEventFailed, .linkedEventFailed, .exceedsCredits, .created, .linkedEventFailed,
                    .linkedEventChainOpen,
                ])
            #expect(try await balances(store, 1) == [0, 7, 0, 0])
            #expect(try await balances(store, 2) == [0, 0, 0, 0])
            #expect(try await balances(store, 3) == [0, 0, 0, 7])
            #expect(try await store.lookupTransfers([id(10), id(11)], ledger: usd) == [nil, nil])
            // A rolled-back id is free: the same chain, fixed, commits.
            #expect(
                try await store.createTransfers([
                    transfer(10, from: 1, to: 2, 100, flags: .linked), transfer(11, from: 2, to: 3, 40),
                ]) == [.created, .created])
            #expect(try await verify(store).ok)
        }
    }

    @Test(
        "two-phase: pending reserves, a partial post releases the rest, a second resolve is refused",
        arguments: StoreKind.allCases)
    func twoPhase(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await openAccounts(store, [1, 2])
            #expect(
                try await store.createTransfers([transfer(10, from: 1, to: 2, 1000, flags: .pending)]) == [.created])
            #expect(try await balances(store, 1) == [1000, 0, 0, 0])
            #expect(
                try await store.createTransfers([
                    transfer(11, from: 0, to: 0, 1001, flags: .postPending, pending: 10),
                    transfer(12, from: 0, to: 0, 999, flags: .voidPending, pending: 10),
                    transfer(13, from: 2, to: 0, 600, flags: .postPending, pending: 10),
                    transfer(14, from: 0, to: 0, 600, flags: .postPending, pending: 10, code: 9),
                    transfer(15, from: 0, to: 0, 600, flags: .postPending, pending: 10),
                    transfer(16, from: 0, to: 0, 0, flags: .voidPending, pending: 10),
                    transfer(17, from: 0, to: 0, 0, flags: .postPending, pending: 15),
                    transfer(18, from: 0, to: 0, 0, flags: .postPending, pending: 99),
                ]) == [
                    .exceedsPendingTransferAmount, .pendingTransferHasDifferentAmount,
                    .pendingTransferHasDifferentDebitAccountID, .pendingTransferHasDifferentCode, .created,
                    .pendingTransferAlreadyPosted, .pendingTransferNotPending, .pendingTransferNotFound,
                ])
            #expect(try await balances(store, 1) == [0, 600, 0, 0])
            #expect(try await balances(store, 2) == [0, 0, 0, 600])
            let posted = try await store.lookupTransfers([id(15), id(10)], ledger: usd)
            #expect(posted[0]?.amount == 600 && posted[0]?.debitAccountID == id(1) && posted[0]?.code == 1)
            #expect(posted[1]?.state == .posted)
            #expect(try await verify(store).ok)
        }
    }

    @Test(
        "a pending transfer expires at its timeout: balances back, a late post is pending_transfer_expired",
        arguments: StoreKind.allCases)
    func expiry(kind: StoreKind) async throws {
        try await withStore(kind) { store, clock in
            try await openAccounts(store, [1, 2])
            #expect(
                try await store.createTransfers([
                    transfer(10, from: 1, to: 2, 300, flags: .pending, timeout: 3600),
                    transfer(11, from: 1, to: 2, 200, flags: .pending, timeout: 60),
                ]) == [.created, .created])
            clock.advance(seconds: 61)
            #expect(try await store.expirePending(ledger: usd) == 1)
            #expect(try await balances(store, 1) == [300, 0, 0, 0])
            #expect(
                try await store.createTransfers([transfer(12, from: 0, to: 0, 0, flags: .postPending, pending: 11)])
                    == [.pendingTransferExpired])
            clock.advance(seconds: 3600)
            // The next batch expires what is due before its own events.
            #expect(
                try await store.createTransfers([transfer(13, from: 0, to: 0, 0, flags: .voidPending, pending: 10)])
                    == [.pendingTransferExpired])
            #expect(try await balances(store, 1) == [0, 0, 0, 0])
            #expect(try await store.lookupTransfers([id(10)], ledger: usd).first??.state == .expired)
            #expect(try await verify(store).ok)
        }
    }

    @Test(
        "limits: debits within credits, credits within debits; balancing moves only what fits",
        arguments: StoreKind.allCases)
    func limits(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await openAccounts(store, [1, 2, 3], limited: [2], creditLimited: [3])
            #expect(
                try await store.createTransfers([
                    transfer(10, from: 2, to: 1, 1),
                    transfer(11, from: 1, to: 2, 250),
                    transfer(12, from: 2, to: 1, 100, flags: .pending),
                    transfer(13, from: 2, to: 1, 151),
                    transfer(14, from: 2, to: 1, 1000, flags: .balancingDebit),
                    transfer(15, from: 2, to: 1, 1, flags: .balancingDebit),
                    transfer(16, from: 1, to: 3, 1),
                    transfer(17, from: 3, to: 1, 50),
                    transfer(18, from: 1, to: 3, 0, flags: .balancingCredit),
                ]) == [
                    .exceedsCredits, .created, .created, .exceedsCredits, .created, .exceedsCredits, .exceedsDebits,
                    .created, .created,
                ])
            #expect(try await balances(store, 2) == [100, 150, 0, 250])
            #expect(try await store.lookupTransfers([id(14)], ledger: usd).first??.amount == 150)
            #expect(try await balances(store, 3) == [0, 50, 0, 50])
            #expect(try await verify(store).ok)
        }
    }

    @Test(
        "amounts and balances stop at 2⁵³−1 with overflows_… (Lua numbers are doubles)",
        arguments: StoreKind.allCases)
    func overflow(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await openAccounts(store, [1, 2, 3])
            let limit: Int64 = 9_007_199_254_740_991
            #expect(
                try await store.createTransfers([
                    transfer(10, from: 1, to: 2, limit + 1),
                    transfer(11, from: 1, to: 2, limit + 2, flags: .pending),
                    transfer(12, from: 1, to: 2, limit),
                    transfer(13, from: 3, to: 2, 1),
                    transfer(14, from: 1, to: 3, 1),
                    transfer(15, from: 1, to: 3, 1, flags: .pending),
                    transfer(16, from: 3, to: 1, 1, flags: .pending, timeout: Int64.max / 2),
                ]) == [
                    .overflowsDebitsPosted, .overflowsDebitsPending, .created, .overflowsCreditsPosted,
                    .overflowsDebitsPosted, .overflowsDebits, .overflowsTimeout,
                ])
            #expect(try await balances(store, 1) == [0, limit, 0, 0])
            #expect(
                try await store.createTransfers([transfer(17, from: 3, to: 2, 0, flags: .balancingDebit)]) == [
                    .exceedsCredits
                ])
            #expect(
                try await store.createTransfers([transfer(18, from: 2, to: 3, 5, flags: .pending, timeout: limit)])
                    == [.overflowsTimeout])
            #expect(try await verify(store).ok)
        }
    }

    @Test("a pending closing transfer closes an account; voiding it reopens", arguments: StoreKind.allCases)
    func closing(kind: StoreKind) async throws {
        try await withStore(kind) { store, _ in
            try await openAccounts(store, [1, 2])
            #expect(
                try await store.createTransfers([
                    transfer(10, from: 1, to: 2, 5, flags: [.pending, .closingDebit]),
                    transfer(11, from: 1, to: 2, 5),
                    transfer(12, from: 2, to: 1, 5),
                ]) == [.created, .debitAccountAlreadyClosed, .creditAccountAlreadyClosed])
            #expect(try await store.lookupAccounts([id(1)], ledger: usd).first??.flags.contains(.closed) == true)
            #expect(
                try await store.createTransfers([
                    transfer(13, from: 0, to: 0, 0, flags: .voidPending, pending: 10), transfer(14, from: 1, to: 2, 5),
                ]) == [.created, .created])
            #expect(try await verify(store).ok)
        }
    }

    @Test(
        "accounts: exists, exists_with_different_…, flags, and a refused batch writes nothing",
        arguments: StoreKind.allCases)
    func accounts(kind: StoreKind) async throws {
        try await withStore(kind) { (store: any LedgerStore, _: ManualClock) async throws in
            let a = NewAccount(id: id(1), ledger: usd, code: 3, owner: "merchant:m_1", name: "merchant:m_1:available")
            var b = a
            b.owner = "merchant:m_2"
            var c = a
            c.flags = [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits]
            c.id = id(2)
            #expect(try await store.createAccounts([a, a, b]) == [.created, .exists, .existsWithDifferentOwner])
            #expect(try await store.createAccounts([c]) == [.flagsAreMutuallyExclusive])
            var bad = a
            bad.owner = "merchant|m_1"
            await #expect(throws: LedgerInputError.self) { try await store.createAccounts([bad]) }
            await #expect(throws: LedgerInputError.self) {
                try await store.createTransfers([transfer(5, from: 1, to: 2, -1)])
            }
            await #expect(throws: LedgerInputError.self) {
                try await store.createTransfers((1...1001).map { transfer(UInt128($0), from: 1, to: 2, 1) })
            }
            #expect(try await store.head(ledger: usd).seq == 1)
            #expect(try await store.ledgers() == [usd])
        }
    }
}
