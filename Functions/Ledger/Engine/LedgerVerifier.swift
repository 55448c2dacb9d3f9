import Crypto
import SmartPayCore

/// The digest a seal writes over every balance: SHA-256 of one line per account, ordered by id,
/// `id|debits_pending|debits_posted|credits_pending|credits_posted|flags\n`.
public enum BalanceDigest {
    public static func of(_ accounts: some Sequence<Account>) -> String {
        var hasher = SHA256()
        for a in accounts.sorted(by: { $0.id < $1.id }) {
            let line =
                "\(a.id.hex)|\(a.debitsPending)|\(a.debitsPosted)|\(a.creditsPending)|\(a.creditsPosted)|\(a.flags.rawValue)\n"
            hasher.update(data: Array(line.utf8))
        }
        return Hex.encode(hasher.finalize())
    }
}

/// What `ledger verify` found: how far the journal checked out, and the first thing that did not.
public struct VerificationReport: Sendable, Hashable {
    public var ledger: LedgerName
    public var entries: Int64 = 0
    public var accounts = 0
    public var transfers = 0
    public var seals = 0
    /// Entries at the journal's end whose hash a writer has not chained yet (their hash is computed here).
    public var unchained = 0
    /// The first bad entry's seq (nil when the journal checked out but a stored account or the sums did not).
    public var failureSeq: Int64?
    /// Why verification failed; nil when it passed.
    public var failureReason: String?
    public var ok: Bool { failureReason == nil }

    mutating func fail(_ seq: Int64?, _ reason: String) {
        failureSeq = seq
        failureReason = reason
    }

    public init(ledger: LedgerName) { self.ledger = ledger }

}

/// Rebuilds a ledger from its journal alone: checks the gap-free seq, increasing timestamps, every hash in the
/// chain, every transfer against the accounts it names (existing, same ledger, limits kept, a pending transfer
/// resolved at most once), every seal's digest; then every stored balance against the rebuilt one and
/// Σ debits = Σ credits, pending and posted apart.
public struct LedgerVerifier {
    public private(set) var report: VerificationReport
    public private(set) var accounts: [LedgerID: Account] = [:]
    private var pending: [LedgerID: Transfer] = [:]
    private var resolved: Set<LedgerID> = []
    private var transferIDs: Set<LedgerID> = []
    public private(set) var head = JournalHead.empty

    public init(ledger: LedgerName) { report = VerificationReport(ledger: ledger) }

    /// Feeds the next entry; false (and `report.failureReason` set) at the first bad one.
    public mutating func feed(_ entry: JournalEntry) -> Bool {
        guard report.ok else { return false }
        do throws(VerifyFailure) {
            try check(entry)
            report.entries += 1
            return true
        } catch {
            report.fail(head.seq + 1, error.reason)
            return false
        }
    }

    /// After the last entry: the stored accounts must be the rebuilt ones, and the ledger must balance.
    public mutating func finish(stored: [Account]) -> VerificationReport {
        guard report.ok else { return report }
        let storedByID = Dictionary(stored.map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        for account in accounts.values.sorted(by: { $0.id < $1.id }) {
            guard let s = storedByID[account.id] else {
                report.fail(nil, "account \(account.id.hex) (\(account.name)) is in the journal but not stored")
                return report
            }
            if s.debitsPending != account.debitsPending || s.debitsPosted != account.debitsPosted
                || s.creditsPending != account.creditsPending || s.creditsPosted != account.creditsPosted
                || s.flags != account.flags
            {
                report.fail(
                    nil,
                    "account \(account.id.hex) (\(account.name)) stores debits \(s.debitsPending)/\(s.debitsPosted) "
                        + "credits \(s.creditsPending)/\(s.creditsPosted), the journal says debits "
                        + "\(account.debitsPending)/\(account.debitsPosted) credits "
                        + "\(account.creditsPending)/\(account.creditsPosted) (pending/posted)"
                )
                return report
            }
        }
        if let extra = stored.first(where: { accounts[$0.id] == nil }) {
            report.fail(nil, "account \(extra.id.hex) (\(extra.name)) is stored but not in the journal")
            return report
        }
        let sums = accounts.values.reduce(into: (dp: 0 as Int64, dpo: 0 as Int64, cp: 0 as Int64, cpo: 0 as Int64)) {
            $0.dp += $1.debitsPending
            $0.dpo += $1.debitsPosted
            $0.cp += $1.creditsPending
            $0.cpo += $1.creditsPosted
        }
        if sums.dp != sums.cp || sums.dpo != sums.cpo {
            report.fail(
                nil,
                "the ledger does not balance: debits \(sums.dp)/\(sums.dpo), credits \(sums.cp)/\(sums.cpo) (pending/posted)"
            )
        }
        report.accounts = accounts.count
        return report
    }

    private struct VerifyFailure: Error {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private mutating func check(_ entry: JournalEntry) throws(VerifyFailure) {
        let expected = JournalEntry.hash(entry.line, after: head.hash)
        if entry.hash.isEmpty {
            // A writer's last lines, committed but not chained yet: only the end of the journal may be so.
            report.unchained += 1
        } else if report.unchained > 0 {
            throw VerifyFailure("a chained entry follows \(report.unchained) unchained ones")
        } else if expected != entry.hash {
            throw VerifyFailure("hash \(entry.hash) is not SHA-256(previous hash ∥ line) = \(expected)")
        }
        let fields = entry.line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard fields.count >= 4, let seq = Int64(fields[1]), let timestamp = Int64(fields[2]) else {
            throw VerifyFailure("the line \(entry.line.debugDescription) has no kind, seq and timestamp")
        }
        guard seq == head.seq + 1 else { throw VerifyFailure("seq \(seq) follows \(head.seq): a gap or a repeat") }
        guard timestamp > head.timestamp else {
            throw VerifyFailure("timestamp \(timestamp) does not follow \(head.timestamp)")
        }
        guard fields[3] == report.ledger.code else {
            throw VerifyFailure("the entry is on ledger \(fields[3]), the journal is \(report.ledger.code)'s")
        }
        switch fields[0] {
        case "A": try account(fields, timestamp: timestamp)
        case "T": try transfer(entry.line)
        case "X": try expiry(fields)
        case "S": try seal(fields)
        default: throw VerifyFailure("unknown entry kind \(fields[0].debugDescription)")
        }
        head = JournalHead(seq: seq, hash: expected, timestamp: timestamp)
    }

    private mutating func account(_ f: [String], timestamp: Int64) throws(VerifyFailure) {
        guard f.count == 9, let id = LedgerID(hex: f[4]), let code = UInt16(f[5]), let flags = Int(f[6]),
            let ledger = try? LedgerName(f[3])
        else { throw VerifyFailure("a malformed account line") }
        guard accounts[id] == nil else { throw VerifyFailure("account \(id.hex) is created twice") }
        accounts[id] = Account(
            NewAccount(
                id: id, ledger: ledger, code: code, owner: f[7], name: f[8], flags: AccountFlags(rawValue: flags)),
            timestamp: timestamp)
    }

    private mutating func transfer(_ line: String) throws(VerifyFailure) {
        guard let t = JournalText.parseTransfer(line) else { throw VerifyFailure("a malformed transfer line") }
        let (id, debit, credit, amount, pendingID, flags) =
            (t.id, t.debitAccountID, t.creditAccountID, t.amount, t.pendingID, t.flags)
        guard transferIDs.insert(id).inserted else { throw VerifyFailure("transfer \(id.hex) is posted twice") }
        report.transfers += 1
        guard amount >= 0, amount <= ledgerAmountLimit else { throw VerifyFailure("amount \(amount) is out of range") }
        guard var dr = accounts[debit] else { throw VerifyFailure("transfer \(id.hex) debits unknown \(debit.hex)") }
        guard var cr = accounts[credit] else { throw VerifyFailure("transfer \(id.hex) credits unknown \(credit.hex)") }
        guard debit != credit else { throw VerifyFailure("transfer \(id.hex) moves from an account to itself") }
        if flags.contains(.postPending) || flags.contains(.voidPending) {
            guard let p = pending[pendingID] else {
                throw VerifyFailure("transfer \(id.hex) resolves \(pendingID.hex), which is not pending")
            }
            guard resolved.insert(pendingID).inserted else {
                throw VerifyFailure("pending transfer \(pendingID.hex) is resolved twice")
            }
            guard p.debitAccountID == debit, p.creditAccountID == credit, amount <= p.amount else {
                throw VerifyFailure("transfer \(id.hex) does not match the pending transfer it resolves")
            }
            pending[pendingID] = nil
            if flags.contains(.voidPending) {
                guard amount == p.amount else { throw VerifyFailure("void \(id.hex) names a different amount") }
                Movement.resolve(p, posting: nil, debit: &dr, credit: &cr)
            } else {
                Movement.resolve(p, posting: amount, debit: &dr, credit: &cr)
            }
        } else if flags.contains(.pending) {
            Movement.reserve(amount, flags: flags, debit: &dr, credit: &cr)
            pending[id] = t
        } else {
            Movement.post(amount, debit: &dr, credit: &cr)
        }
        try checkLimits(dr)
        try checkLimits(cr)
        accounts[debit] = dr
        accounts[credit] = cr
    }

    private mutating func expiry(_ f: [String]) throws(VerifyFailure) {
        guard f.count == 5, let id = LedgerID(hex: f[4]) else { throw VerifyFailure("a malformed expiry line") }
        guard let p = pending[id] else { throw VerifyFailure("expiry of \(id.hex), which is not pending") }
        guard resolved.insert(id).inserted else { throw VerifyFailure("pending transfer \(id.hex) resolved twice") }
        pending[id] = nil
        guard var dr = accounts[p.debitAccountID], var cr = accounts[p.creditAccountID] else {
            throw VerifyFailure("expiry of \(id.hex) names unknown accounts")
        }
        Movement.resolve(p, posting: nil, debit: &dr, credit: &cr)
        accounts[p.debitAccountID] = dr
        accounts[p.creditAccountID] = cr
    }

    private mutating func seal(_ f: [String]) throws(VerifyFailure) {
        guard f.count == 6, let count = Int(f[4]) else { throw VerifyFailure("a malformed seal line") }
        let digest = BalanceDigest.of(accounts.values)
        guard count == accounts.count, digest == f[5] else {
            throw VerifyFailure(
                "the seal's balances (\(count) accounts, \(f[5])) are not the journal's (\(accounts.count), \(digest))")
        }
        report.seals += 1
    }

    private func checkLimits(_ a: Account) throws(VerifyFailure) {
        let limit = ledgerAmountLimit
        guard a.debitsPending >= 0, a.creditsPending >= 0, a.debitsPending <= limit, a.debitsPosted <= limit,
            a.creditsPending <= limit, a.creditsPosted <= limit,
            a.debitsPending <= limit - a.debitsPosted, a.creditsPending <= limit - a.creditsPosted
        else { throw VerifyFailure("account \(a.id.hex) (\(a.name)) leaves its range") }
        if a.flags.contains(.debitsMustNotExceedCredits) && a.debitsPending + a.debitsPosted > a.creditsPosted {
            throw VerifyFailure("account \(a.id.hex) (\(a.name)) debits more than its credits")
        }
        if a.flags.contains(.creditsMustNotExceedDebits) && a.creditsPending + a.creditsPosted > a.debitsPosted {
            throw VerifyFailure("account \(a.id.hex) (\(a.name)) credits more than its debits")
        }
    }
}
