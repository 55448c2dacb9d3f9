import SmartPayCore

/// pay → fraud (and `POST /fraud`, the bus's `payment.requested`): a transaction to score. Amounts are minor units;
/// a card is a token (`card_fingerprint`), never a number — a card-number field is refused by name.
///
/// `transaction_id` may come as `payment_id` and `terminal_id` as `merchant_id` (a payment's own words); the
/// timestamp is RFC 3339 and defaults to the event's time. Checks beyond the types (a negative amount, a malformed
/// BIN, IP or country) are the fraud function's, which names the field.
public struct FraudRequest: FunctionCall, Equatable {
    public static let action = "score"
    public typealias Answer = FraudVerdict
    /// The bus event that carries the same request (`payment.requested`).
    public static let requestedDetailType = "payment.requested"

    public var transactionID: String
    public var amount: Int64
    public var currency: Currency
    public var timestamp: String?
    public var customerID: String
    public var terminalID: String
    public var cardFingerprint: String?
    public var cardBIN: String?
    public var cardCountry: String?
    public var billingCountry: String?
    public var ip: String?
    public var ipCountry: String?
    public var deviceID: String?
    public var email: String?

    public init(
        transactionID: String, money: Money, timestamp: Timestamp?, customerID: String, terminalID: String,
        cardFingerprint: String? = nil, cardBIN: String? = nil, cardCountry: String? = nil,
        billingCountry: String? = nil, ip: String? = nil, ipCountry: String? = nil, deviceID: String? = nil,
        email: String? = nil
    ) {
        self.transactionID = transactionID
        self.amount = money.minorUnits
        self.currency = money.currency
        self.timestamp = timestamp?.description
        self.customerID = customerID
        self.terminalID = terminalID
        self.cardFingerprint = cardFingerprint
        self.cardBIN = cardBIN
        self.cardCountry = cardCountry
        self.billingCountry = billingCountry
        self.ip = ip
        self.ipCountry = ipCountry
        self.deviceID = deviceID
        self.email = email
    }

    public var money: Money { Money(minorUnits: amount, currency: currency) }

    /// Fields that would carry a card number: refused outright, SmartPay takes tokens only.
    public static let cardNumberFields: [CodingKeys] = [.cardNumber, .pan, .number, .card]

    public enum CodingKeys: String, CodingKey, CaseIterable {
        case transactionID, amount, currency, timestamp, customerID, terminalID, cardFingerprint
        case cardBIN = "card_bin"
        case cardCountry, billingCountry, ip, ipCountry, deviceID, email
        case paymentID, merchantID
        case cardNumber, pan, number, card
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        for key in Self.cardNumberFields where container.contains(key) {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: decoder.codingPath + [key],
                    debugDescription: "card numbers are not accepted; send card_fingerprint, the token your vault gives"
                ))
        }
        func required(_ key: CodingKeys, or alias: CodingKeys? = nil) throws -> String {
            if let alias, !container.contains(key), container.contains(alias) {
                return try container.decode(String.self, forKey: alias)
            }
            guard container.contains(key) else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: decoder.codingPath + [key], debugDescription: "is required"))
            }
            return try container.decode(String.self, forKey: key)
        }
        transactionID = try required(.transactionID, or: .paymentID)
        guard container.contains(.amount) else {
            throw DecodingError.keyNotFound(
                CodingKeys.amount,
                .init(
                    codingPath: decoder.codingPath + [CodingKeys.amount],
                    debugDescription: "is required (an integer number of minor units)"))
        }
        amount = try container.decode(MinorUnits.self, forKey: .amount).value
        currency = try container.decode(Currency.self, forKey: .currency)
        timestamp = try container.decodeIfPresent(String.self, forKey: .timestamp)
        customerID = try required(.customerID)
        terminalID = try required(.terminalID, or: .merchantID)
        cardFingerprint = try container.decodeIfPresent(String.self, forKey: .cardFingerprint)
        cardBIN = try container.decodeIfPresent(String.self, forKey: .cardBIN)
        cardCountry = try container.decodeIfPresent(String.self, forKey: .cardCountry)
        billingCountry = try container.decodeIfPresent(String.self, forKey: .billingCountry)
        ip = try container.decodeIfPresent(String.self, forKey: .ip)
        ipCountry = try container.decodeIfPresent(String.self, forKey: .ipCountry)
        deviceID = try container.decodeIfPresent(String.self, forKey: .deviceID)
        email = try container.decodeIfPresent(String.self, forKey: .email)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(transactionID, forKey: .transactionID)
        try container.encode(amount, forKey: .amount)
        try container.encode(currency, forKey: .currency)
        try container.encodeIfPresent(timestamp, forKey: .timestamp)
        try container.encode(customerID, forKey: .customerID)
        try container.encode(terminalID, forKey: .terminalID)
        try container.encodeIfPresent(cardFingerprint, forKey: .cardFingerprint)
        try container.encodeIfPresent(cardBIN, forKey: .cardBIN)
        try container.encodeIfPresent(cardCountry, forKey: .cardCountry)
        try container.encodeIfPresent(billingCountry, forKey: .billingCountry)
        try container.encodeIfPresent(ip, forKey: .ip)
        try container.encodeIfPresent(ipCountry, forKey: .ipCountry)
        try container.encodeIfPresent(deviceID, forKey: .deviceID)
        try container.encodeIfPresent(email, forKey: .email)
    }
}

/// What fraud does with a score.
public enum FraudDecision: String, Codable, Sendable {
    case approve
    case review
    case decline
}

/// One reason behind a verdict: a model feature with its value and its contribution to the log-odds, or a rule.
public struct FraudReason: Codable, Sendable, Equatable {
    /// The feature's column name, or the rule's code (`BLOCKLIST_CARD`, `VELOCITY_CARD_10MIN`, …).
    public var code: String
    public var label: String
    /// The feature's value (a model input, not money).
    public var value: Double?
    /// The feature's share of the log-odds along the trees' decision paths; nil for a rule.
    public var contribution: Double?

    public init(code: String, label: String, value: Double? = nil, contribution: Double? = nil) {
        self.code = code
        self.label = label
        self.value = value
        self.contribution = contribution
    }
}

/// fraud → pay: the verdict for one transaction.
public struct FraudVerdict: Codable, Sendable, Equatable {
    public var transactionID: String
    /// The model's probability of fraud, 0–1.
    public var score: Double
    public var tier: RiskTier
    public var decision: FraudDecision
    public var reasons: [FraudReason]
    public var modelVersion: String
    /// True when this is the verdict cached from an earlier call for the same transaction (30 minutes).
    public var cached: Bool

    public init(
        transactionID: String, score: Double, tier: RiskTier, decision: FraudDecision, reasons: [FraudReason],
        modelVersion: String, cached: Bool
    ) {
        self.transactionID = transactionID
        self.score = score
        self.tier = tier
        self.decision = decision
        self.reasons = reasons
        self.modelVersion = modelVersion
        self.cached = cached
    }
}
