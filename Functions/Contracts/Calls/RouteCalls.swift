import SmartPayCore

/// pay → route: which gateway to try first for a payment, and which next. Route reads the context with its own
/// validator (`RouteContext`), which takes this nested form and the flat one (`POST /route`, `route --stdio`).
public struct RouteRequest: FunctionCall, Equatable {
    public static let action = "decide"
    public typealias Answer = RouteDecision

    public var context: RouteRequestContext
    /// The gateways pay can use for this payment; route picks among them.
    public var gateways: [String]
    /// A retry with the same key gets the same decision (15 minutes).
    public var idempotencyKey: String?

    public init(context: RouteRequestContext, gateways: [String], idempotencyKey: String?) {
        self.context = context
        self.gateways = gateways
        self.idempotencyKey = idempotencyKey
    }
}

/// What route's bandit sees of a payment.
public struct RouteRequestContext: Codable, Sendable, Equatable {
    public var amountMinor: Int64
    public var currency: Currency
    /// `card`, `wallet` or `crypto`.
    public var method: String
    public var country: String
    /// 0–23, UTC.
    public var hour: Int?
    public var cardNetwork: String?
    public var merchantCategory: String?
    /// fraud's score, 0–1.
    public var riskScore: Double?
    public var riskTier: RiskTier?

    public init(
        money: Money, method: String, country: String, hour: Int? = nil, cardNetwork: String? = nil,
        merchantCategory: String? = nil, riskScore: Double? = nil, riskTier: RiskTier? = nil
    ) {
        self.amountMinor = money.minorUnits
        self.currency = money.currency
        self.method = method
        self.country = country
        self.hour = hour
        self.cardNetwork = cardNetwork
        self.merchantCategory = merchantCategory
        self.riskScore = riskScore
        self.riskTier = riskTier
    }
}

/// route → pay: the decision, kept for its feedback (`payment.processed` names it by `decision_id`).
public struct RouteDecision: Codable, Sendable, Equatable {
    public var decisionID: String
    public var gateway: String
    public var fallbacks: [String]
    /// The probability the policy gave the chosen gateway (for off-policy evaluation).
    public var propensity: Double
    /// Each eligible gateway's score.
    public var scores: [String: Double]
    public var explored: Bool
    /// True when a retry with the same idempotency key got the decision made before.
    public var cached: Bool

    public init(
        decisionID: String, gateway: String, fallbacks: [String], propensity: Double, scores: [String: Double],
        explored: Bool, cached: Bool
    ) {
        self.decisionID = decisionID
        self.gateway = gateway
        self.fallbacks = fallbacks
        self.propensity = propensity
        self.scores = scores
        self.explored = explored
        self.cached = cached
    }
}
