/// The chart of accounts, per ledger: what each account is for, its code and its limits. Ids are derived from the
/// ledger and the name, so every part of the platform names the same account without a lookup.
///
/// | name                               | code | normal | limit                          |
/// |------------------------------------|------|--------|--------------------------------|
/// | `gateway:{g}:clearing`             | 1    | debit  | —  (what the gateway owes us)  |
/// | `merchant:{m}:held`                | 2    | credit | debits ≤ credits               |
/// | `merchant:{m}:available`           | 3    | credit | debits ≤ credits               |
/// | `merchant:{m}:reserve`             | 4    | credit | debits ≤ credits               |
/// | `merchant:{m}:payouts_in_transit`  | 5    | credit | debits ≤ credits               |
/// | `platform:fees`                    | 6    | credit | debits ≤ credits               |
/// | `platform:chargeback_loss`         | 7    | debit  | —                              |
/// | `customer:{c}:rewards`             | 8    | credit | debits ≤ credits               |
/// | `platform:rewards_liability`       | 9    | debit  | — (the issuer of reward tokens)|
/// | `external:{bank|chain}`            | 10   | debit  | —  (money that left us)        |
/// | `merchant:{m}:negative`            | 11   | debit  | —  (what a merchant owes us)   |
public struct ChartAccount: Hashable, Sendable {
    public enum Code: UInt16, Sendable, CaseIterable {
        case gatewayClearing = 1
        case merchantHeld = 2
        case merchantAvailable = 3
        case merchantReserve = 4
        case merchantPayoutsInTransit = 5
        case platformFees = 6
        case platformChargebackLoss = 7
        case customerRewards = 8
        case platformRewardsLiability = 9
        case external = 10
        case merchantNegative = 11
    }

    public let name: String
    public let owner: String
    public let code: Code

    public var flags: AccountFlags {
        switch code {
        case .gatewayClearing, .platformChargebackLoss, .platformRewardsLiability, .external, .merchantNegative: []
        default: .debitsMustNotExceedCredits
        }
    }

    public func id(in ledger: LedgerName) -> LedgerID { LedgerID.derived("account", ledger.code, name) }

    public func new(in ledger: LedgerName) -> NewAccount {
        NewAccount(id: id(in: ledger), ledger: ledger, code: code.rawValue, owner: owner, name: name, flags: flags)
    }

    public static func clearing(gateway: String) -> ChartAccount {
        ChartAccount(name: "gateway:\(gateway):clearing", owner: "gateway:\(gateway)", code: .gatewayClearing)
    }
    public static func held(merchant: String) -> ChartAccount {
        ChartAccount(name: "merchant:\(merchant):held", owner: "merchant:\(merchant)", code: .merchantHeld)
    }
    public static func available(merchant: String) -> ChartAccount {
        ChartAccount(name: "merchant:\(merchant):available", owner: "merchant:\(merchant)", code: .merchantAvailable)
    }
    public static func reserve(merchant: String) -> ChartAccount {
        ChartAccount(name: "merchant:\(merchant):reserve", owner: "merchant:\(merchant)", code: .merchantReserve)
    }
    public static func payoutsInTransit(merchant: String) -> ChartAccount {
        ChartAccount(
            name: "merchant:\(merchant):payouts_in_transit", owner: "merchant:\(merchant)",
            code: .merchantPayoutsInTransit)
    }
    /// What a merchant owes the platform when a chargeback takes more than its balances hold: only a transfer with
    /// the code `chargeback_negative` posts to it, so a merchant goes below zero only by that explicit code.
    public static func negative(merchant: String) -> ChartAccount {
        ChartAccount(name: "merchant:\(merchant):negative", owner: "merchant:\(merchant)", code: .merchantNegative)
    }
    public static let fees = ChartAccount(name: "platform:fees", owner: "platform", code: .platformFees)
    public static let chargebackLoss = ChartAccount(
        name: "platform:chargeback_loss", owner: "platform", code: .platformChargebackLoss)
    public static func rewards(customer: String) -> ChartAccount {
        ChartAccount(name: "customer:\(customer):rewards", owner: "customer:\(customer)", code: .customerRewards)
    }
    public static let rewardsLiability = ChartAccount(
        name: "platform:rewards_liability", owner: "platform", code: .platformRewardsLiability)
    public static func external(_ rail: String) -> ChartAccount {
        ChartAccount(name: "external:\(rail)", owner: "external:\(rail)", code: .external)
    }

    /// A merchant's accounts.
    public static func merchant(_ merchant: String) -> [ChartAccount] {
        [
            held(merchant: merchant), available(merchant: merchant), reserve(merchant: merchant),
            payoutsInTransit(merchant: merchant), negative(merchant: merchant),
        ]
    }
}

/// What a transfer is, in the chart's words: the `code` every posting carries. (Settlement, payouts and rewards
/// add theirs as they post.)
public enum TransferCode: UInt16, Sendable, CaseIterable {
    case captureNet = 1
    case captureFee = 2
    case refund = 3
    case chargeback = 5
    case chargebackNegative = 6

    public var name: String {
        switch self {
        case .captureNet: "capture"
        case .captureFee: "fee"
        case .refund: "refund"
        case .chargeback: "chargeback"
        case .chargebackNegative: "chargeback_negative"
        }
    }
}
