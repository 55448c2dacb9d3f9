import SmartPayCore

/// The `source` of everything pay publishes.
public enum PaymentEventSource {
    public static let pay = "smartpay.pay"
}

/// The platform's risk view of a payment, as fraud scored it.
public struct RiskSummary: Codable, Sendable, Equatable {
    /// The model's probability of fraud, 0…1 (a score, not money).
    public var score: Double
    public var tier: RiskTier

    public init(score: Double, tier: RiskTier) {
        self.score = score
        self.tier = tier
    }
}

/// `payment.processed`: a payment reached a final outcome of its charge — `succeeded` or `failed`. Published by pay
/// in the same write as the payment's state (the outbox); read by route (it learns), reward (it earns), the ledger
/// and settlement, and websocket-publish (merchant and customer views).
public struct PaymentProcessed: BusEventDetail, Equatable {
    public static let detailType = "payment.processed"

    public enum Status: String, Codable, Sendable { case succeeded, failed }

    public var paymentID: String
    public var merchantID: String
    public var customerID: String
    /// Minor units of `currency`.
    public var amount: Int64
    public var currency: Currency
    public var status: Status
    /// The platform's fee and what the merchant keeps, minor units (net = amount − fee on success).
    public var fee: Int64
    public var net: Int64
    /// `card`, `wallet`, `crypto`, `rewards`.
    public var paymentMethod: String
    /// A failure on the processor's side (timeout, 5xx) rather than the customer's decline.
    public var processorError: Bool
    /// How many gateways were tried.
    public var attempts: Int
    /// The route decision, when route chose the gateway (route learns from it).
    public var decisionID: String?
    public var merchantCategory: String?
    /// The gateway that charged (or last refused) the payment.
    public var gateway: String?
    /// The last attempt's latency.
    public var latencyMs: Int?
    public var risk: RiskSummary?
    public var failureCode: String?
    public var failureSource: String?

    public init(
        paymentID: String, merchantID: String, customerID: String, amount: Int64, currency: Currency,
        status: Status, fee: Int64, net: Int64, paymentMethod: String, processorError: Bool, attempts: Int,
        decisionID: String? = nil, merchantCategory: String? = nil, gateway: String? = nil, latencyMs: Int? = nil,
        risk: RiskSummary? = nil, failureCode: String? = nil, failureSource: String? = nil
    ) {
        self.paymentID = paymentID
        self.merchantID = merchantID
        self.customerID = customerID
        self.amount = amount
        self.currency = currency
        self.status = status
        self.fee = fee
        self.net = net
        self.paymentMethod = paymentMethod
        self.processorError = processorError
        self.attempts = attempts
        self.decisionID = decisionID
        self.merchantCategory = merchantCategory
        self.gateway = gateway
        self.latencyMs = latencyMs
        self.risk = risk
        self.failureCode = failureCode
        self.failureSource = failureSource
    }

    public var money: Money { Money(minorUnits: amount, currency: currency) }
}

/// `payment.refunded`: part or all of a payment went back to the customer (one event per refund).
public struct PaymentRefunded: BusEventDetail, Equatable {
    public static let detailType = "payment.refunded"

    public enum Status: String, Codable, Sendable {
        case refunded
        case partiallyRefunded = "partially_refunded"
    }

    public var paymentID: String
    public var refundID: String
    public var merchantID: String
    public var customerID: String
    /// This refund, minor units.
    public var amount: Int64
    public var currency: Currency
    /// Everything refunded so far, this refund included.
    public var amountRefunded: Int64
    public var status: Status
    public var gateway: String

    public init(
        paymentID: String, refundID: String, merchantID: String, customerID: String, amount: Int64,
        currency: Currency, amountRefunded: Int64, status: Status, gateway: String
    ) {
        self.paymentID = paymentID
        self.refundID = refundID
        self.merchantID = merchantID
        self.customerID = customerID
        self.amount = amount
        self.currency = currency
        self.amountRefunded = amountRefunded
        self.status = status
        self.gateway = gateway
    }
}

/// `payment.canceled`: a payment that had moved no money was canceled (by its merchant, or its time ran out).
public struct PaymentCanceled: BusEventDetail, Equatable {
    public static let detailType = "payment.canceled"

    public var paymentID: String
    public var merchantID: String
    public var customerID: String
    public var amount: Int64
    public var currency: Currency
    /// Always `canceled`; kept so every payment event names its status.
    public var status: String
    public var reason: String

    public init(
        paymentID: String, merchantID: String, customerID: String, amount: Int64, currency: Currency,
        reason: String
    ) {
        self.paymentID = paymentID
        self.merchantID = merchantID
        self.customerID = customerID
        self.amount = amount
        self.currency = currency
        self.status = "canceled"
        self.reason = reason
    }
}

/// `payment.chain.watch`: pay's own delayed event, its next look at a chain for an on-chain pay-in. `watch` is the
/// sequence number of the look; a stale one (another look or a cancel came first) is dropped.
public struct PaymentChainWatch: BusEventDetail, Equatable {
    public static let detailType = "payment.chain.watch"

    public var paymentID: String
    public var watch: Int

    public init(paymentID: String, watch: Int) {
        self.paymentID = paymentID
        self.watch = watch
    }
}
