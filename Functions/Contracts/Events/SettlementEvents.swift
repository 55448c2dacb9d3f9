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

/// `chargeback.received`: the card network took a payment's money back (from the disputes feed).
public struct ChargebackReceived: BusEventDetail, Equatable {
    public static let detailType = "chargeback.received"

    public var paymentID: String

    public init(paymentID: String) { self.paymentID = paymentID }
}
