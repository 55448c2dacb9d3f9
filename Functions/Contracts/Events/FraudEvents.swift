import SmartPayCore

/// `fraud.detected`: fraud scored a transaction in the review or block band. websocket-publish tells the merchant
/// (`merchant_id`, else `terminal_id`, which pay sets to the merchant).
public struct FraudDetected: BusEventDetail, Equatable {
    public static let detailType = "fraud.detected"
    public static let source = "smartpay.fraud"

    public var transactionID: String
    public var customerID: String
    public var terminalID: String
    public var amount: Int64
    public var currency: Currency
    /// The model's probability of fraud, 0…1.
    public var score: Double
    public var tier: RiskTier
    /// `approve`, `review`, `decline`.
    public var decision: String
    /// Reason codes, strongest first.
    public var reasons: [String]
    public var modelVersion: String

    public init(
        transactionID: String, customerID: String, terminalID: String, amount: Int64, currency: Currency,
        score: Double, tier: RiskTier, decision: String, reasons: [String], modelVersion: String
    ) {
        self.transactionID = transactionID
        self.customerID = customerID
        self.terminalID = terminalID
        self.amount = amount
        self.currency = currency
        self.score = score
        self.tier = tier
        self.decision = decision
        self.reasons = reasons
        self.modelVersion = modelVersion
    }
}

/// `fraud.reported` (and `POST /fraud/reports`): a transaction was fraud (a cardholder's report, an analyst's
/// finding); fraud labels it for its terminal's risk features.
public struct FraudReported: BusEventDetail, Equatable {
    public static let detailType = "fraud.reported"

    public var transactionID: String
    /// The terminal (pay's merchant); `merchant_id` is read when there is no `terminal_id`.
    public var terminalID: String?
    public var merchantID: String?
    /// When the transaction was made (RFC 3339).
    public var timestamp: String?
    public var reason: String?

    public init(
        transactionID: String, terminalID: String? = nil, merchantID: String? = nil, timestamp: String? = nil,
        reason: String? = nil
    ) {
        self.transactionID = transactionID
        self.terminalID = terminalID
        self.merchantID = merchantID
        self.timestamp = timestamp
        self.reason = reason
    }

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case transactionID, terminalID, merchantID, timestamp, reason
    }
}
