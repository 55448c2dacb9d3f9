import Crypto
import SmartPayCore

/// The newest entry of a ledger's journal: its sequence number (gap-free from 1), its hash and the last timestamp
/// the ledger gave out. The empty journal is seq 0 with the genesis hash (32 zero bytes).
public struct JournalHead: Hashable, Sendable {
    public var seq: Int64
    public var hash: String
    public var timestamp: Int64

    public init(seq: Int64, hash: String, timestamp: Int64) {
        self.seq = seq
        self.hash = hash
        self.timestamp = timestamp
    }

    public static let genesisHash = String(repeating: "0", count: 64)
    public static let empty = JournalHead(seq: 0, hash: genesisHash, timestamp: 0)
}

/// One committed event as the journal writes it: a line of `|`-separated fields, the same from the Lua script and
/// from the Swift model, and its hash `SHA-256(prev_hash ∥ line)` (the previous hash as its 32 raw bytes).
///
///     A|seq|ts|ledger|id|code|flags|owner|name                                                       account
///     T|seq|ts|ledger|id|debit|credit|amount|requested|pending_id|code|flags|timeout|user_data|expires_at  transfer
///     X|seq|ts|ledger|pending_id                                                                     expiry
///     S|seq|ts|ledger|accounts|balances_digest                                                       seal
public struct JournalEntry: Hashable, Sendable {
    public let line: String
    public let hash: String

    public init(line: String, hash: String) {
        self.line = line
        self.hash = hash
    }

    /// The hash of `line` after an entry whose hash is `previous` (hex).
    public static func hash(_ line: String, after previous: String) -> String {
        var hasher = SHA256()
        hasher.update(data: Hex.decode(previous) ?? [])
        hasher.update(data: Array(line.utf8))
        return Hex.encode(hasher.finalize())
    }

    /// Chains `lines` after `head`'s hash: the hashes the journal stores, in order.
    public static func chain(_ lines: [String], after previous: String) -> [JournalEntry] {
        var last = previous
        return lines.map { line in
            last = hash(line, after: last)
            return JournalEntry(line: line, hash: last)
        }
    }

}

/// Building the canonical lines: integers in decimal, ids in 32 hex digits, flags as their bit values.
public enum JournalText {
    static func account(seq: Int64, _ a: Account) -> String {
        "A|\(seq)|\(a.timestamp)|\(a.ledger.code)|\(a.id.hex)|\(a.code)|\(a.flags.rawValue)|\(a.owner)|\(a.name)"
    }

    static func transfer(seq: Int64, _ t: Transfer) -> String {
        "T|\(seq)|\(t.timestamp)|\(t.ledger.code)|\(t.id.hex)|\(t.debitAccountID.hex)|\(t.creditAccountID.hex)|"
            + "\(t.amount)|\(t.requestedAmount)|\(t.pendingID.hex)|\(t.code)|\(t.flags.rawValue)|\(t.timeout)|"
            + "\(t.userData)|\(t.expiresAt)"
    }

    static func expiry(seq: Int64, timestamp: Int64, ledger: LedgerName, pendingID: LedgerID) -> String {
        "X|\(seq)|\(timestamp)|\(ledger.code)|\(pendingID.hex)"
    }

    /// A transfer back from its `T` line (its pending state is kept elsewhere); nil for any other line.
    public static func parseTransfer(_ line: String) -> Transfer? {
        let f = line.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
        guard f.count == 15, f[0] == "T", let ts = Int64(f[2]), let ledger = try? LedgerName(f[3]),
            let id = LedgerID(hex: f[4]), let debit = LedgerID(hex: f[5]), let credit = LedgerID(hex: f[6]),
            let amount = Int64(f[7]), let requested = Int64(f[8]), let pendingID = LedgerID(hex: f[9]),
            let code = UInt16(f[10]), let flags = Int(f[11]), let timeout = Int64(f[12]), let expiresAt = Int64(f[14])
        else { return nil }
        return Transfer(
            id: id, debitAccountID: debit, creditAccountID: credit, amount: amount, requestedAmount: requested,
            pendingID: pendingID, ledger: ledger, code: code, flags: TransferFlags(rawValue: flags), timeout: timeout,
            userData: f[13], timestamp: ts, state: nil, expiresAt: expiresAt)
    }

    static func seal(seq: Int64, timestamp: Int64, ledger: LedgerName, accounts: Int, digest: String) -> String {
        "S|\(seq)|\(timestamp)|\(ledger.code)|\(accounts)|\(digest)"
    }
}
