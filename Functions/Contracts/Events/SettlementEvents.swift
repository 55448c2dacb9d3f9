/// `settlement.completed`: merchant funds for one payment (`payment_id`) or a batch (`payment_ids`) were settled;
/// reward releases the payments' escrowed rewards on it.
public struct SettlementCompleted: BusEventDetail, Equatable {
    public static let detailType = "settlement.completed"

    public var paymentID: String?
    public var paymentIDs: [String]?

    public init(paymentID: String? = nil, paymentIDs: [String]? = nil) {
        self.paymentID = paymentID
        self.paymentIDs = paymentIDs
    }

    /// Every payment the settlement names, the single one first.
    public var payments: [String] { (paymentID.map { [$0] } ?? []) + (paymentIDs ?? []) }
}

/// `chargeback.received`: the card network took a payment's money back (from the disputes feed). Reward claws back
/// the payment's reward; fraud labels the transaction (fraud's transaction id is the payment id) for its terminal.
public struct ChargebackReceived: BusEventDetail, Equatable {
    public static let detailType = "chargeback.received"

    public var paymentID: String
    /// The merchant (fraud's terminal).
    public var merchantID: String?
    /// When the disputed payment was made (RFC 3339).
    public var timestamp: String?
    public var reason: String?
    /// The disputed amount in minor units of the payment's currency; nil: the whole payment.
    public var amount: Int64?

    public init(
        paymentID: String, merchantID: String? = nil, timestamp: String? = nil, reason: String? = nil,
        amount: Int64? = nil
    ) {
        self.paymentID = paymentID
        self.merchantID = merchantID
        self.timestamp = timestamp
        self.reason = reason
        self.amount = amount
    }
}
