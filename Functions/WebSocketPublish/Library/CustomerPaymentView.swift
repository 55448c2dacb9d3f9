import SmartPayContracts
import SmartPayCore

/// A payment as its customer hears it live: the payment, its parties, amount, status and method — not the
/// platform's fee and the merchant's net, the risk, the route decision, the gateway or the processor's details,
/// which are the merchant's.
///
/// Every field is optional because a manual fan-out's detail need not be complete; one made from a
/// `PaymentProcessed` has them all.
public struct CustomerPaymentView: Codable, Sendable, Equatable {
    public var paymentID: String?
    public var customerID: String?
    public var merchantID: String?
    /// Minor units of `currency`.
    public var amount: Int64?
    public var currency: Currency?
    /// `succeeded` or `failed` for a `payment.processed`.
    public var status: String?
    public var paymentMethod: String?

    public init(_ payment: PaymentProcessed) {
        paymentID = payment.paymentID
        customerID = payment.customerID
        merchantID = payment.merchantID
        amount = payment.amount
        currency = payment.currency
        status = payment.status.rawValue
        paymentMethod = payment.paymentMethod
    }
}
