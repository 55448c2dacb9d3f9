/// The `source` of everything reward publishes.
public enum RewardEventSource {
    public static let reward = "smartpay.reward"
}

/// A reward's move, one shape for each of its events: `reward.minted` and `reward.released` (tokens reached the
/// customer, locally or on Solana) and `reward.clawed_back` (a refund or chargeback took them back).
public struct RewardMoved: Codable, Sendable, Equatable {
    public static let minted = "reward.minted"
    public static let released = "reward.released"
    public static let clawedBack = "reward.clawed_back"
    public static let detailTypes = [minted, released, clawedBack]

    public var rewardID: String
    public var paymentID: String
    public var customerID: String
    public var merchantID: String
    /// Tokens in units of 10^-`decimals`.
    public var amount: Int64
    public var decimals: Int
    /// The reward's state after the move (`released`, `clawed_back`).
    public var status: String
    /// `ledger` or `solana`, once minted.
    public var mintedOn: String?
    /// The Solana transaction's signature, when minted on Solana.
    public var signature: String?

    public init(
        rewardID: String, paymentID: String, customerID: String, merchantID: String, amount: Int64, decimals: Int,
        status: String, mintedOn: String? = nil, signature: String? = nil
    ) {
        self.rewardID = rewardID
        self.paymentID = paymentID
        self.customerID = customerID
        self.merchantID = merchantID
        self.amount = amount
        self.decimals = decimals
        self.status = status
        self.mintedOn = mintedOn
        self.signature = signature
    }
}

/// `reward.release.due`: reward's own delayed event, the end of a reward's hold.
public struct RewardReleaseDue: BusEventDetail, Equatable {
    public static let detailType = "reward.release.due"

    public var rewardID: String
    public var paymentID: String

    public init(rewardID: String, paymentID: String) {
        self.rewardID = rewardID
        self.paymentID = paymentID
    }
}
