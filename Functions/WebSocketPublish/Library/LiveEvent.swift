import SmartPayContracts
import SmartPayCore

/// A bus event as its live audiences hear it, read from its contract type: the merchant it is for hears the event
/// as published; the customer it is for hears `customerView`.
///
/// - `payment.processed`: the merchant (`merchant_id`) and the customer (`customer_id`), who hears the payment as
///   `CustomerPaymentView`.
/// - `reward.minted`: the customer.
/// - `fraud.detected`: the merchant — fraud's terminal (`terminal_id`), which pay sets to the merchant.
/// - `settlement.*`: the merchant.
public struct LiveEvent: Sendable, Equatable {
    public var merchantID: String?
    public var customerID: String?
    /// The detail as published: what the merchant hears.
    public var detail: JSONValue
    /// What the customer hears: the detail, or a narrower view of it.
    public var customerView: JSONValue

    public init(merchantID: String? = nil, customerID: String? = nil, detail: JSONValue, customerView: JSONValue? = nil)
    {
        self.merchantID = merchantID
        self.customerID = customerID
        self.detail = detail
        self.customerView = customerView ?? detail
    }

    /// `payment.processed`: its merchant, and its customer with the customer's view.
    public init(_ payment: PublishedDetail<PaymentProcessed>) throws {
        self.init(
            merchantID: payment.detail.merchantID, customerID: payment.detail.customerID, detail: payment.json,
            customerView: try JSONValueEncoder().encode(CustomerPaymentView(payment.detail)))
    }

    /// `reward.minted`: its customer.
    public init(_ reward: PublishedDetail<RewardMoved>) {
        self.init(customerID: reward.detail.customerID, detail: reward.json)
    }

    /// `fraud.detected`: the merchant, fraud's terminal.
    public init(_ fraud: PublishedDetail<FraudDetected>) {
        self.init(merchantID: fraud.detail.terminalID, detail: fraud.json)
    }

    /// `settlement.*`: its merchant.
    public init(_ settlement: PublishedDetail<SettlementNotice>) {
        self.init(merchantID: settlement.detail.merchantID, detail: settlement.json)
    }
}
