/// One ledger's accounts, transfers and journal (head and the entries not yet drained), and the rules that change them: TigerBeetle's semantics,
/// written once in Swift. It is the in-memory store's engine and the reference model the simulation holds the
/// Redis script to; both give the same results, balances and journal lines for the same batches.
///
/// A batch is serial: each event sees the effects of the ones before it. A chain of `linked` events commits as a
/// whole or not at all (the failing event gets its reason, the others `linked_event_failed`; a chain still open at
/// the end of the batch fails with `linked_event_chain_open` on its last event). Before a batch, pending transfers
/// whose timeout has passed expire (at most `expiriesPerBatch`, oldest deadline first).
public struct LedgerState: Sendable {
    public let ledger: LedgerName
    public private(set) var accounts: [LedgerID: Account] = [:]
    public private(set) var transfers: [LedgerID: Transfer] = [:]
    public private(set) var head: JournalHead = .empty
    /// The entries committed since `drainEntries()` was last called, oldest first, with their hashes.
    public private(set) var entries: [JournalEntry] = []

    public static let expiriesPerBatch = 256
    public static let batchLimit = 1_000

    /// What the open chain changed, to put back if one of its events fails.
    private struct Undo {
        var accounts: [LedgerID: Account?] = [:]
        var transfers: [LedgerID: Transfer?] = [:]
        var head: JournalHead
        var entryCount: Int
    }
    private var undo: Undo?

    public init(ledger: LedgerName) { self.ledger = ledger }

    public mutating func drainEntries() -> [JournalEntry] {
        defer { entries = [] }
        return entries
    }

    // MARK: accounts

    public mutating func createAccounts(_ batch: [NewAccount], now: Int64) -> [CreateAccountResult] {
        expire(now: now)
        return batch.map { createAccount($0, now: now) }
    }

    private mutating func createAccount(_ a: NewAccount, now: Int64) -> CreateAccountResult {
        if a.flags.rawValue & ~AccountFlags.known.rawValue != 0 { return .reservedFlag }
        if a.id.isZero { return .idMustNotBeZero }
        if a.id == .max { return .idMustNotBeIntMax }
        if a.ledger != ledger { return .ledgerMustMatch }
        if let e = accounts[a.id] {
            if e.flags.subtracting(.closed) != a.flags.subtracting(.closed) { return .existsWithDifferentFlags }
            if e.owner != a.owner { return .existsWithDifferentOwner }
            if e.name != a.name { return .existsWithDifferentName }
            if e.code != a.code { return .existsWithDifferentCode }
            return .exists
        }
        if a.flags.contains([.debitsMustNotExceedCredits, .creditsMustNotExceedDebits]) {
            return .flagsAreMutuallyExclusive
        }
        if a.code == 0 { return .codeMustNotBeZero }
        let account = Account(a, timestamp: nextTimestamp(now))
        setAccount(account)
        append(JournalText.account(seq: head.seq + 1, account), timestamp: account.timestamp)
        return .created
    }

    // MARK: transfers

    public mutating func createTransfers(_ batch: [NewTransfer], now: Int64) -> [CreateTransferResult] {
        expire(now: now)
        var results = [CreateTransferResult](repeating: .created, count: batch.count)
        var start = 0
        while start < batch.count {
            var end = start
            while end < batch.count - 1 && batch[end].flags.contains(.linked) { end += 1 }
            let open = batch[end].flags.contains(.linked)
            undo = Undo(head: head, entryCount: entries.count)
            for index in start...end {
                let result =
                    open && index == end ? .linkedEventChainOpen : createTransfer(batch[index], now: now)
                guard result == .created else {
                    rollBack()
                    for other in start...end { results[other] = .linkedEventFailed }
                    results[index] = result
                    break
                }
            }
            undo = nil
            start = end + 1
        }
        return results
    }

    private mutating func createTransfer(_ t: NewTransfer, now: Int64) -> CreateTransferResult {
        if t.flags.rawValue & ~TransferFlags.known.rawValue != 0 { return .reservedFlag }
        if t.id.isZero { return .idMustNotBeZero }
        if t.id == .max { return .idMustNotBeIntMax }
        if t.ledger != ledger { return .ledgerMustMatch }
        if let e = transfers[t.id] { return Self.compare(t, existing: e) }
        let postOrVoid = t.flags.contains(.postPending) || t.flags.contains(.voidPending)
        if Self.exclusive(t.flags) { return .flagsAreMutuallyExclusive }
        if postOrVoid { return postOrVoidPending(t, now: now) }
        if t.debitAccountID.isZero { return .debitAccountIDMustNotBeZero }
        if t.debitAccountID == .max { return .debitAccountIDMustNotBeIntMax }
        if t.creditAccountID.isZero { return .creditAccountIDMustNotBeZero }
        if t.creditAccountID == .max { return .creditAccountIDMustNotBeIntMax }
        if t.debitAccountID == t.creditAccountID { return .accountsMustBeDifferent }
        if !t.pendingID.isZero { return .pendingIDMustBeZero }
        let pending = t.flags.contains(.pending)
        if !pending && t.timeout != 0 { return .timeoutReservedForPendingTransfer }
        if !pending && (t.flags.contains(.closingDebit) || t.flags.contains(.closingCredit)) {
            return .closingTransferMustBePending
        }
        let balancing = t.flags.contains(.balancingDebit) || t.flags.contains(.balancingCredit)
        if !balancing && t.amount == 0 { return .amountMustNotBeZero }
        if t.code == 0 { return .codeMustNotBeZero }
        guard var dr = accounts[t.debitAccountID] else { return .debitAccountNotFound }
        guard var cr = accounts[t.creditAccountID] else { return .creditAccountNotFound }
        if dr.flags.contains(.closed) { return .debitAccountAlreadyClosed }
        if cr.flags.contains(.closed) { return .creditAccountAlreadyClosed }

        let amount: Int64
        switch Self.amountToMove(t, debit: dr, credit: cr) {
        case .success(let moved): amount = moved
        case .failure(let refusal): return refusal.result
        }
        let timestamp = nextTimestamp(now)
        if let refusal = Self.refusal(amount, of: t, debit: dr, credit: cr, at: timestamp) { return refusal }

        if pending {
            Movement.reserve(amount, flags: t.flags, debit: &dr, credit: &cr)
        } else {
            Movement.post(amount, debit: &dr, credit: &cr)
        }
        setAccount(dr)
        setAccount(cr)
        let transfer = Transfer(
            id: t.id, debitAccountID: t.debitAccountID, creditAccountID: t.creditAccountID, amount: amount,
            requestedAmount: t.amount, pendingID: .zero, ledger: ledger, code: t.code, flags: t.flags,
            timeout: t.timeout, userData: t.userData, timestamp: timestamp, state: pending ? .pending : nil,
            expiresAt: pending && t.timeout > 0 ? timestamp + t.timeout * 1_000_000 : 0)
        setTransfer(transfer)
        append(JournalText.transfer(seq: head.seq + 1, transfer), timestamp: timestamp)
        return .created
    }

    private struct Refusal: Error {
        let result: CreateTransferResult
    }

    /// What a transfer moves: its amount, or for a balancing one as much of it (0: no cap) as the limited side takes.
    private static func amountToMove(_ t: NewTransfer, debit dr: Account, credit cr: Account) -> Result<Int64, Refusal>
    {
        var amount = t.amount == 0 ? ledgerAmountLimit : t.amount
        if t.flags.contains(.balancingDebit) {
            amount = min(amount, max(0, dr.creditsPosted - dr.debitsPosted - dr.debitsPending))
            if amount == 0 { return .failure(Refusal(result: .exceedsCredits)) }
        }
        if t.flags.contains(.balancingCredit) {
            amount = min(amount, max(0, cr.debitsPosted - cr.creditsPosted - cr.creditsPending))
            if amount == 0 { return .failure(Refusal(result: .exceedsDebits)) }
        }
        return .success(amount)
    }

    /// The balance checks in TigerBeetle's order: overflow of each balance (here at 2⁵³−1), of the timeout, then
    /// the accounts' limits.
    private static func refusal(
        _ amount: Int64, of t: NewTransfer, debit dr: Account, credit cr: Account, at timestamp: Int64
    ) -> CreateTransferResult? {
        let limit = ledgerAmountLimit
        if t.flags.contains(.pending) {
            if amount > limit - dr.debitsPending { return .overflowsDebitsPending }
            if amount > limit - cr.creditsPending { return .overflowsCreditsPending }
        } else {
            if amount > limit - dr.debitsPosted { return .overflowsDebitsPosted }
            if amount > limit - cr.creditsPosted { return .overflowsCreditsPosted }
        }
        if amount > limit - dr.debitsPending - dr.debitsPosted { return .overflowsDebits }
        if amount > limit - cr.creditsPending - cr.creditsPosted { return .overflowsCredits }
        if t.timeout < 0 || t.timeout > (limit - timestamp) / 1_000_000 { return .overflowsTimeout }
        if dr.flags.contains(.debitsMustNotExceedCredits)
            && dr.debitsPending + dr.debitsPosted + amount > dr.creditsPosted
        {
            return .exceedsCredits
        }
        if cr.flags.contains(.creditsMustNotExceedDebits)
            && cr.creditsPending + cr.creditsPosted + amount > cr.debitsPosted
        {
            return .exceedsDebits
        }
        return nil
    }

    private mutating func postOrVoidPending(_ t: NewTransfer, now: Int64) -> CreateTransferResult {
        if t.pendingID.isZero { return .pendingIDMustNotBeZero }
        if t.pendingID == .max { return .pendingIDMustNotBeIntMax }
        if t.pendingID == t.id { return .pendingIDMustBeDifferent }
        if t.timeout != 0 { return .timeoutReservedForPendingTransfer }
        guard var p = transfers[t.pendingID] else { return .pendingTransferNotFound }
        guard p.flags.contains(.pending) else { return .pendingTransferNotPending }
        if !t.debitAccountID.isZero && t.debitAccountID != p.debitAccountID {
            return .pendingTransferHasDifferentDebitAccountID
        }
        if !t.creditAccountID.isZero && t.creditAccountID != p.creditAccountID {
            return .pendingTransferHasDifferentCreditAccountID
        }
        if t.code != 0 && t.code != p.code { return .pendingTransferHasDifferentCode }
        let amount = t.amount == 0 ? p.amount : t.amount
        if amount > p.amount { return .exceedsPendingTransferAmount }
        let voiding = t.flags.contains(.voidPending)
        if voiding && amount < p.amount { return .pendingTransferHasDifferentAmount }
        switch p.state {
        case .posted: return .pendingTransferAlreadyPosted
        case .voided: return .pendingTransferAlreadyVoided
        case .expired: return .pendingTransferExpired
        case .pending, nil: break
        }
        let timestamp = nextTimestamp(now)
        if p.expiresAt != 0 && p.expiresAt <= timestamp { return .pendingTransferExpired }
        guard var dr = accounts[p.debitAccountID], var cr = accounts[p.creditAccountID] else {
            return .debitAccountNotFound
        }
        let limit = ledgerAmountLimit
        if !voiding {
            if amount > limit - dr.debitsPosted { return .overflowsDebitsPosted }
            if amount > limit - cr.creditsPosted { return .overflowsCreditsPosted }
        }
        Movement.resolve(p, posting: voiding ? nil : amount, debit: &dr, credit: &cr)
        setAccount(dr)
        setAccount(cr)
        p.state = voiding ? .voided : .posted
        setTransfer(p)
        let transfer = Transfer(
            id: t.id, debitAccountID: p.debitAccountID, creditAccountID: p.creditAccountID, amount: amount,
            requestedAmount: t.amount, pendingID: t.pendingID, ledger: ledger, code: p.code, flags: t.flags,
            timeout: 0, userData: t.userData, timestamp: timestamp, state: nil, expiresAt: 0)
        setTransfer(transfer)
        append(JournalText.transfer(seq: head.seq + 1, transfer), timestamp: timestamp)
        return .created
    }

    /// A repeat of a committed id: `exists` only if every field the request names is the same.
    private static func compare(_ t: NewTransfer, existing e: Transfer) -> CreateTransferResult {
        if t.flags != e.flags { return .existsWithDifferentFlags }
        if t.pendingID != e.pendingID { return .existsWithDifferentPendingID }
        if t.timeout != e.timeout { return .existsWithDifferentTimeout }
        let postOrVoid = t.flags.contains(.postPending) || t.flags.contains(.voidPending)
        if !(postOrVoid && t.debitAccountID.isZero) && t.debitAccountID != e.debitAccountID {
            return .existsWithDifferentDebitAccountID
        }
        if !(postOrVoid && t.creditAccountID.isZero) && t.creditAccountID != e.creditAccountID {
            return .existsWithDifferentCreditAccountID
        }
        if t.amount != e.requestedAmount { return .existsWithDifferentAmount }
        if t.userData != e.userData { return .existsWithDifferentUserData }
        if !(postOrVoid && t.code == 0) && t.code != e.code { return .existsWithDifferentCode }
        return .exists
    }

    private static func exclusive(_ flags: TransferFlags) -> Bool {
        let post = flags.contains(.postPending)
        let void = flags.contains(.voidPending)
        let balancing = flags.contains(.balancingDebit) || flags.contains(.balancingCredit)
        let closing = flags.contains(.closingDebit) || flags.contains(.closingCredit)
        return (post && void) || ((post || void) && (flags.contains(.pending) || balancing || closing))
    }

    // MARK: expiry

    /// Expires the pending transfers whose deadline is at or before `now`, oldest deadline first (then by id).
    public mutating func expire(now: Int64) {
        let due = transfers.values
            .filter { $0.state == .pending && $0.expiresAt != 0 && $0.expiresAt <= now }
            .sorted { ($0.expiresAt, $0.id.hex) < ($1.expiresAt, $1.id.hex) }
            .prefix(Self.expiriesPerBatch)
        for var p in due {
            guard var dr = accounts[p.debitAccountID], var cr = accounts[p.creditAccountID] else { continue }
            Movement.resolve(p, posting: nil, debit: &dr, credit: &cr)
            setAccount(dr)
            setAccount(cr)
            p.state = .expired
            setTransfer(p)
            let timestamp = nextTimestamp(now)
            append(
                JournalText.expiry(seq: head.seq + 1, timestamp: timestamp, ledger: ledger, pendingID: p.id),
                timestamp: timestamp)
        }
    }

    // MARK: seal

    /// Appends a seal over every balance (see `BalanceDigest`).
    public mutating func seal(now: Int64) {
        let timestamp = nextTimestamp(now)
        let digest = BalanceDigest.of(accounts.values)
        append(
            JournalText.seal(
                seq: head.seq + 1, timestamp: timestamp, ledger: ledger, accounts: accounts.count, digest: digest),
            timestamp: timestamp)
    }

    // MARK: writing, with the chain's undo

    private func nextTimestamp(_ now: Int64) -> Int64 { max(now, head.timestamp + 1) }

    private mutating func append(_ line: String, timestamp: Int64) {
        let hash = JournalEntry.hash(line, after: head.hash)
        entries.append(JournalEntry(line: line, hash: hash))
        head = JournalHead(seq: head.seq + 1, hash: hash, timestamp: timestamp)
    }

    private mutating func setAccount(_ account: Account) {
        if let undo, undo.accounts.index(forKey: account.id) == nil {
            self.undo?.accounts[account.id] = .some(accounts[account.id])
        }
        accounts[account.id] = account
    }

    private mutating func setTransfer(_ transfer: Transfer) {
        if let undo, undo.transfers.index(forKey: transfer.id) == nil {
            self.undo?.transfers[transfer.id] = .some(transfers[transfer.id])
        }
        transfers[transfer.id] = transfer
    }

    private mutating func rollBack() {
        guard let undo else { return }
        for (id, old) in undo.accounts { accounts[id] = old }
        for (id, old) in undo.transfers { transfers[id] = old }
        head = undo.head
        entries.removeLast(entries.count - undo.entryCount)
        self.undo = nil
    }
}
