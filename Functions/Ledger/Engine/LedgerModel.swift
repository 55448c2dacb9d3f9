/// The largest amount or balance the ledger holds: 2⁵³−1. The Redis implementation computes in Lua, whose numbers
/// are doubles, so anything above is refused with an `overflows_…` result rather than rounded.
public let ledgerAmountLimit: Int64 = 9_007_199_254_740_991

/// A ledger: one currency (`USD`, `JPY`) or token (`RWD`, the reward token). Accounts and transfers live in exactly
/// one; a transfer moves value between two accounts of the same ledger. Upper-case letters, digits and `_`, 2–12.
public struct LedgerName: Hashable, Comparable, Sendable, CustomStringConvertible, Codable {
    public let code: String

    public init(_ code: String) throws(LedgerInputError) {
        guard (2...12).contains(code.utf8.count),
            code.utf8.allSatisfy({ (65...90).contains($0) || (48...57).contains($0) || $0 == 95 })
        else {
            throw LedgerInputError(
                field: "ledger", "a ledger is 2 to 12 of A–Z, 0–9 and _, not \(code.debugDescription)")
        }
        self.code = code
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self = try LedgerName(try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }

    public var description: String { code }
    public static func < (lhs: LedgerName, rhs: LedgerName) -> Bool { lhs.code < rhs.code }
}

/// A request the ledger refuses as a whole, before any event is looked at (a malformed field, a batch too big or
/// on two ledgers). Per-event outcomes are results, never errors.
public struct LedgerInputError: Error, Hashable, Sendable, CustomStringConvertible {
    public let field: String
    public let message: String

    public init(field: String, _ message: String) {
        self.field = field
        self.message = message
    }

    public var description: String { "\(field): \(message)" }
}

/// Text the ledger stores inside its journal lines (owners, chart names, `user_data`): 0–96 of letters, digits and
/// `_ . : - @ /`, so a journal line splits on `|` without escaping.
enum LedgerText {
    static func check(_ text: String, field: String, allowEmpty: Bool = true) throws(LedgerInputError) {
        let allowed: (UInt8) -> Bool = { byte in
            (65...90).contains(byte) || (97...122).contains(byte) || (48...57).contains(byte)
                || [95, 46, 58, 45, 64, 47].contains(byte)
        }
        guard text.utf8.count <= 96, allowEmpty || !text.isEmpty, text.utf8.allSatisfy(allowed) else {
            throw LedgerInputError(
                field: field,
                "\(allowEmpty ? "0" : "1") to 96 of letters, digits and _ . : - @ /, not \(text.debugDescription)")
        }
    }
}

public struct AccountFlags: OptionSet, Hashable, Sendable, Codable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// debits_pending + debits_posted ≤ credits_posted: the account cannot go below zero (a liability or a
    /// merchant's balance).
    public static let debitsMustNotExceedCredits = AccountFlags(rawValue: 1 << 1)
    /// credits_pending + credits_posted ≤ debits_posted (an asset that cannot go below zero).
    public static let creditsMustNotExceedDebits = AccountFlags(rawValue: 1 << 2)
    /// No new transfer may debit or credit it; set by a pending `closing_debit`/`closing_credit` transfer, cleared
    /// when that transfer is voided or expires.
    public static let closed = AccountFlags(rawValue: 1 << 4)

    static let known: AccountFlags = [.debitsMustNotExceedCredits, .creditsMustNotExceedDebits, .closed]

    public static let names: [(AccountFlags, String)] = [
        (.debitsMustNotExceedCredits, "debits_must_not_exceed_credits"),
        (.creditsMustNotExceedDebits, "credits_must_not_exceed_debits"), (.closed, "closed"),
    ]
}

public struct TransferFlags: OptionSet, Hashable, Sendable, Codable {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    /// The next event belongs to the same chain: all of the chain commits, or none of it.
    public static let linked = TransferFlags(rawValue: 1 << 0)
    /// Reserves the amount (debits_pending / credits_pending) until posted, voided or its timeout passes.
    public static let pending = TransferFlags(rawValue: 1 << 1)
    /// Posts a pending transfer, in full (amount 0) or in part (the rest is released).
    public static let postPending = TransferFlags(rawValue: 1 << 2)
    /// Releases a pending transfer.
    public static let voidPending = TransferFlags(rawValue: 1 << 3)
    /// Moves at most `amount` (0: no cap), as much as keeps the debit account's debits within its credits.
    public static let balancingDebit = TransferFlags(rawValue: 1 << 4)
    /// Moves at most `amount` (0: no cap), as much as keeps the credit account's credits within its debits.
    public static let balancingCredit = TransferFlags(rawValue: 1 << 5)
    /// With `pending`: closes the debit account (reopened if the transfer is voided or expires).
    public static let closingDebit = TransferFlags(rawValue: 1 << 6)
    /// With `pending`: closes the credit account.
    public static let closingCredit = TransferFlags(rawValue: 1 << 7)

    static let known: TransferFlags = [
        .linked, .pending, .postPending, .voidPending, .balancingDebit, .balancingCredit, .closingDebit, .closingCredit,
    ]

    public static let names: [(TransferFlags, String)] = [
        (.linked, "linked"), (.pending, "pending"), (.postPending, "post_pending_transfer"),
        (.voidPending, "void_pending_transfer"), (.balancingDebit, "balancing_debit"),
        (.balancingCredit, "balancing_credit"), (.closingDebit, "closing_debit"), (.closingCredit, "closing_credit"),
    ]
}

/// An account as asked for: the ledger assigns its timestamp and zero balances.
public struct NewAccount: Hashable, Sendable {
    public var id: LedgerID
    public var ledger: LedgerName
    /// The chart's code for what the account is (see `AccountCode`); never 0.
    public var code: UInt16
    /// Who it belongs to: `merchant:m_42`, `customer:c_1`, `platform`, `gateway:stripe`, `external:bank`.
    public var owner: String
    /// Its name in the chart (`merchant:m_42:held`), or empty.
    public var name: String
    public var flags: AccountFlags

    public init(
        id: LedgerID, ledger: LedgerName, code: UInt16, owner: String, name: String = "", flags: AccountFlags = []
    ) {
        self.id = id
        self.ledger = ledger
        self.code = code
        self.owner = owner
        self.name = name
        self.flags = flags
    }
}

/// An account with its four balances, in the ledger's minor units.
public struct Account: Hashable, Sendable {
    public var id: LedgerID
    public var ledger: LedgerName
    public var code: UInt16
    public var owner: String
    public var name: String
    public var flags: AccountFlags
    public var debitsPending: Int64 = 0
    public var debitsPosted: Int64 = 0
    public var creditsPending: Int64 = 0
    public var creditsPosted: Int64 = 0
    /// When it was created: microseconds since 1970, unique and increasing within its ledger.
    public var timestamp: Int64

    public init(_ new: NewAccount, timestamp: Int64) {
        id = new.id
        ledger = new.ledger
        code = new.code
        owner = new.owner
        name = new.name
        flags = new.flags
        self.timestamp = timestamp
    }

    /// credits_posted − debits_posted: what a credit-normal account (a merchant's balance) holds, posted only.
    public var creditBalance: Int64 { creditsPosted - debitsPosted }
    /// debits_posted − credits_posted: what a debit-normal account (clearing, losses) holds.
    public var debitBalance: Int64 { debitsPosted - creditsPosted }
}

/// A transfer as asked for. For a post or void, `debitAccountID`, `creditAccountID` and `code` may be zero (the
/// pending transfer's are used) and `amount` 0 means the pending transfer's whole amount.
public struct NewTransfer: Hashable, Sendable {
    public var id: LedgerID
    public var debitAccountID: LedgerID
    public var creditAccountID: LedgerID
    public var amount: Int64
    public var pendingID: LedgerID
    public var ledger: LedgerName
    public var code: UInt16
    public var flags: TransferFlags
    /// Seconds a pending transfer reserves its amount before it expires (0: until posted or voided).
    public var timeout: Int64
    /// What it belongs to: the payment, milestone or payout (`pay_…`, `po_…`).
    public var userData: String

    public init(
        id: LedgerID, debitAccountID: LedgerID, creditAccountID: LedgerID, amount: Int64, pendingID: LedgerID = .zero,
        ledger: LedgerName, code: UInt16, flags: TransferFlags = [], timeout: Int64 = 0, userData: String = ""
    ) {
        self.id = id
        self.debitAccountID = debitAccountID
        self.creditAccountID = creditAccountID
        self.amount = amount
        self.pendingID = pendingID
        self.ledger = ledger
        self.code = code
        self.flags = flags
        self.timeout = timeout
        self.userData = userData
    }
}

/// Where a pending transfer stands.
public enum PendingState: String, Hashable, Sendable, Codable {
    case pending, posted, voided, expired
}

/// A committed transfer: the amount is what moved (a balancing transfer's may be less than asked; a post's is what
/// was posted); a post or void names the pending transfer's accounts and code.
public struct Transfer: Hashable, Sendable {
    public var id: LedgerID
    public var debitAccountID: LedgerID
    public var creditAccountID: LedgerID
    public var amount: Int64
    /// The amount the request named (0 for a full post or void; a balancing transfer's cap).
    public var requestedAmount: Int64
    public var pendingID: LedgerID
    public var ledger: LedgerName
    public var code: UInt16
    public var flags: TransferFlags
    public var timeout: Int64
    public var userData: String
    public var timestamp: Int64
    /// For a pending transfer: pending until posted, voided or expired.
    public var state: PendingState?
    /// For a pending transfer with a timeout: when it expires (µs since 1970).
    public var expiresAt: Int64
}

/// How a transfer moves its two accounts' balances: written once, for the state machine and for `verify`'s rebuild
/// from the journal.
enum Movement {
    /// A posted transfer.
    static func post(_ amount: Int64, debit dr: inout Account, credit cr: inout Account) {
        dr.debitsPosted += amount
        cr.creditsPosted += amount
    }

    /// A pending transfer reserves its amount; a closing one closes its side's account.
    static func reserve(_ amount: Int64, flags: TransferFlags, debit dr: inout Account, credit cr: inout Account) {
        dr.debitsPending += amount
        cr.creditsPending += amount
        if flags.contains(.closingDebit) { dr.flags.insert(.closed) }
        if flags.contains(.closingCredit) { cr.flags.insert(.closed) }
    }

    /// A pending transfer leaves pending: posted (`posting` the amount posted, the rest released) or, with nil,
    /// voided or expired — which reopens what it closed.
    static func resolve(_ p: Transfer, posting: Int64?, debit dr: inout Account, credit cr: inout Account) {
        dr.debitsPending -= p.amount
        cr.creditsPending -= p.amount
        if let posting {
            post(posting, debit: &dr, credit: &cr)
        } else {
            if p.flags.contains(.closingDebit) { dr.flags.remove(.closed) }
            if p.flags.contains(.closingCredit) { cr.flags.remove(.closed) }
        }
    }
}
