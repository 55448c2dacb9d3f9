import SmartPayCore

/// pay → reward: pay for a purchase with the customer's released tokens, at the earning rate read backwards
/// (rounded up), once per payment and never below zero.
public struct RewardRedeem: FunctionCall, Equatable {
    public static let action = "redeem"
    public typealias Answer = RewardRedemption

    public var customerID: String
    public var paymentID: String
    /// The purchase, minor units of `currency`.
    public var amount: Int64
    public var currency: Currency

    public init(customerID: String, paymentID: String, money: Money) {
        self.customerID = customerID
        self.paymentID = paymentID
        self.amount = money.minorUnits
        self.currency = money.currency
    }

    public var money: Money { Money(minorUnits: amount, currency: currency) }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case customerID, paymentID, amount, currency
    }
}

/// reward → pay: the tokens were spent (`succeeded`, with the spend's id), or there were not enough (`declined`, the
/// customer's decline, with a code and message).
public struct RewardRedemption: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable { case succeeded, declined }

    public var status: Status
    public var spendID: String?
    /// Micro-tokens debited.
    public var tokens: Int64?
    /// Micro-tokens still released and unspent after the debit.
    public var releasedLeft: Int64?
    public var code: String?
    public var message: String?

    public static func succeeded(spendID: String, tokens: Int64, releasedLeft: Int64) -> RewardRedemption {
        RewardRedemption(status: .succeeded, spendID: spendID, tokens: tokens, releasedLeft: releasedLeft)
    }

    public static func declined(code: String, message: String) -> RewardRedemption {
        RewardRedemption(status: .declined, code: code, message: message)
    }

    init(
        status: Status, spendID: String? = nil, tokens: Int64? = nil, releasedLeft: Int64? = nil, code: String? = nil,
        message: String? = nil
    ) {
        self.status = status
        self.spendID = spendID
        self.tokens = tokens
        self.releasedLeft = releasedLeft
        self.code = code
        self.message = message
    }
}

/// pay → reward: give back the tokens of a refunded rewards purchase, once per refund key.
public struct RewardRedeemRefund: FunctionCall, Equatable {
    public static let action = "redeem.refund"
    public typealias Answer = RewardCredit

    /// The purchase's spend (`rsp_…`), as `RewardRedemption` named it.
    public var spendID: String
    /// The refund, minor units of `currency`.
    public var amount: Int64
    public var currency: Currency
    /// The refund's idempotency key: a second call with it credits nothing more.
    public var refundKey: String

    public init(spendID: String, money: Money, refundKey: String) {
        self.spendID = spendID
        self.amount = money.minorUnits
        self.currency = money.currency
        self.refundKey = refundKey
    }

    public var money: Money { Money(minorUnits: amount, currency: currency) }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case spendID, amount, currency, refundKey
    }
}

/// reward → pay: the tokens credited back.
public struct RewardCredit: Codable, Sendable, Equatable {
    public var creditID: String
    public var customerID: String
    /// Micro-tokens credited for the refund key (a repeated call gets the same answer and credits nothing more).
    public var tokens: Int64

    public init(creditID: String, customerID: String, tokens: Int64) {
        self.creditID = creditID
        self.customerID = customerID
        self.tokens = tokens
    }
}
