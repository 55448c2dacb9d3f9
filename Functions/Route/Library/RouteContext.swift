import SmartPayCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// How a payment is paid.
public enum PaymentMethod: String, CaseIterable, Sendable {
    case card
    case wallet
    case crypto
}

/// The payment a gateway is chosen for: the fields `route` reads, validated, each error naming its field.
///
/// JSON (snake_case; unknown fields are ignored, so a simulator can pass extra context): `amount_minor` (integer,
/// > 0), `currency` (ISO 4217), `method` (`card` / `wallet` / `crypto`), `card_network` (optional), `country`
/// (ISO 3166 alpha-2), `merchant_category` (optional), `hour` (0–23, optional), `risk_score` (0–1, optional),
/// `risk_tier` (optional).
public struct RouteContext: Sendable, Equatable {
    public var money: Money
    public var method: PaymentMethod
    public var cardNetwork: String?
    public var country: String
    public var merchantCategory: String?
    public var hour: Int?
    public var riskScore: Double?
    public var riskTier: RiskTier?

    public init(
        money: Money, method: PaymentMethod, cardNetwork: String? = nil, country: String,
        merchantCategory: String? = nil, hour: Int? = nil, riskScore: Double? = nil, riskTier: RiskTier? = nil
    ) {
        self.money = money
        self.method = method
        self.cardNetwork = cardNetwork
        self.country = country
        self.merchantCategory = merchantCategory
        self.hour = hour
        self.riskScore = riskScore
        self.riskTier = riskTier
    }

    /// - Throws: `RouteInputError` naming the first wrong field.
    public init(json: JSONValue) throws(RouteInputError) {
        let fields = try JSONFields(json, what: "the payment context", failure: RouteInputError.init)
        let amountField = fields["amount_minor"] == nil && fields["amount"] != nil ? "amount" : "amount_minor"
        let minor = try fields.minorUnits(amountField)
        guard minor > 0 else { throw RouteInputError(amountField, "must be positive, got \(minor)") }
        money = Money(minorUnits: minor, currency: try fields.currency())
        let methodText = try fields.requiredString("method", maximum: 64)
        guard let method = PaymentMethod(rawValue: methodText) else {
            throw RouteInputError("method", "expected card, wallet or crypto, got \"\(methodText)\"")
        }
        self.method = method
        cardNetwork = try fields.string("card_network", maximum: 64)?.lowercased()
        country = try fields.requiredCountry("country")
        merchantCategory = try fields.string("merchant_category", maximum: 64)
        if let value = fields["hour"], !value.isNull {
            guard case .number(let hourText) = value, let hour = Int(hourText), (0...23).contains(hour) else {
                throw RouteInputError("hour", "expected an integer 0–23, got \(value.briefDescription)")
            }
            self.hour = hour
        }
        if let value = fields["risk_score"], !value.isNull {
            guard case .number(let scoreText) = value, let score = Double(scoreText), (0...1).contains(score) else {
                throw RouteInputError("risk_score", "expected a number 0–1, got \(value.briefDescription)")
            }
            riskScore = score
        }
        if let tier = try fields.string("risk_tier", maximum: 64) {
            guard let parsed = RiskTier(rawValue: tier) else {
                throw RouteInputError("risk_tier", "expected low, medium or high, got \"\(tier)\"")
            }
            riskTier = parsed
        }
    }

    /// The context as JSON, in the fields `init(json:)` reads.
    public var json: JSONValue {
        var fields: [String: JSONValue] = [
            "amount_minor": .number(String(money.minorUnits)), "currency": .string(money.currency.code),
            "method": .string(method.rawValue), "country": .string(country),
        ]
        if let cardNetwork { fields["card_network"] = .string(cardNetwork) }
        if let merchantCategory { fields["merchant_category"] = .string(merchantCategory) }
        if let hour { fields["hour"] = .number(String(hour)) }
        if let riskScore { fields["risk_score"] = .number(String(riskScore)) }
        if let riskTier { fields["risk_tier"] = .string(riskTier.rawValue) }
        return .object(fields)
    }

    /// The context as the policy's feature vector (`RouteFeatures.dimension` values).
    public var features: [Double] { RouteFeatures.encode(self) }
}

/// The context's encoding for the linear policy: a bias, one-hots for method, card network and region, the
/// log-amount, the risk score, and the hour on the clock circle.
public enum RouteFeatures {
    static let networks = ["visa", "mastercard", "amex", "discover", "jcb", "unionpay"]
    static let regions = ["north_america", "europe", "asia_pacific", "latin_america", "other"]
    public static let dimension = 1 + PaymentMethod.allCases.count + networks.count + 1 + regions.count + 1 + 1 + 2

    public static func encode(_ context: RouteContext) -> [Double] {
        var x = [Double](repeating: 0, count: dimension)
        var index = 0
        x[index] = 1
        index += 1
        x[index + PaymentMethod.allCases.firstIndex(of: context.method)!] = 1
        index += PaymentMethod.allCases.count
        if let network = context.cardNetwork, let position = networks.firstIndex(of: network) {
            x[index + position] = 1
        } else if context.cardNetwork != nil {
            x[index + networks.count] = 1
        }
        index += networks.count + 1
        x[index + regions.firstIndex(of: region(of: context.country))!] = 1
        index += regions.count
        // log10 of the major amount, scaled so 1 ≈ 10,000.00.
        let major = Double(context.money.minorUnits) / Double(context.money.currency.minorUnitsPerMajor)
        x[index] = log10(max(major, 0.01) + 1) / 4
        index += 1
        x[index] = context.riskScore ?? 0
        index += 1
        if let hour = context.hour {
            x[index] = sin(Double(hour) / 24 * 2 * .pi) / 2
            x[index + 1] = cos(Double(hour) / 24 * 2 * .pi) / 2
        }
        return x
    }

    /// A coarse region for a country code.
    public static func region(of country: String) -> String {
        switch country {
        case "US", "CA", "MX": "north_america"
        case "GB", "IE", "FR", "DE", "ES", "IT", "NL", "BE", "PT", "AT", "CH", "SE", "NO", "DK", "FI", "PL", "CZ", "GR",
            "RO", "HU", "LU":
            "europe"
        case "JP", "CN", "KR", "IN", "SG", "AU", "NZ", "HK", "TW", "ID", "TH", "MY", "PH", "VN": "asia_pacific"
        case "BR", "AR", "CL", "CO", "PE", "UY": "latin_america"
        default: "other"
        }
    }
}
