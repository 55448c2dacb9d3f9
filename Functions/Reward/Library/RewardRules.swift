import SmartPayCore

/// How many reward tokens a payment earns. All configuration, all integers: the token has 6 decimals, so amounts are
/// in micro-tokens (`1 token = 1_000_000`).
///
/// `earned = amount (minor units) × rate(currency) / 10^exponent(currency) × category bps / 10⁴ × tier bps / 10⁴`,
/// rounded down at the end (computed in 128 bits, so no step overflows or rounds early), then capped by what is left
/// of the customer's daily cap.
public struct RewardRules: Sendable, Equatable {
    public static let decimals: UInt8 = 6
    public static let unit: Int64 = 1_000_000

    /// Micro-tokens per major unit of each currency (`USD: 1_000_000` = one token per dollar).
    public var rates: [String: Int64]
    /// Multipliers in basis points by merchant category (10,000 = ×1), and for categories not listed.
    public var categoryBps: [String: Int64]
    public var defaultCategoryBps: Int64
    /// Multipliers in basis points by customer tier.
    public var tierBps: [String: Int64]
    public var defaultTierBps: Int64
    /// The most micro-tokens a customer earns in a UTC day.
    public var dailyCap: Int64
    /// How long a reward waits in escrow when no settlement event releases it first.
    public var holdSeconds: Int64

    public init(
        rates: [String: Int64] = ["USD": unit, "EUR": unit, "GBP": unit, "JPY": unit / 100, "SOL": 150 * unit],
        categoryBps: [String: Int64] = [:], defaultCategoryBps: Int64 = 10_000, tierBps: [String: Int64] = [:],
        defaultTierBps: Int64 = 10_000, dailyCap: Int64 = 1_000 * unit, holdSeconds: Int64 = 7 * 86_400
    ) {
        self.rates = rates
        self.categoryBps = categoryBps
        self.defaultCategoryBps = defaultCategoryBps
        self.tierBps = tierBps
        self.defaultTierBps = defaultTierBps
        self.dailyCap = dailyCap
        self.holdSeconds = holdSeconds
    }

    /// Reads `REWARD_RULES` (a JSON object with any of `rates` — decimal strings of tokens per major unit —
    /// `category_multipliers`, `tier_multipliers` — decimal strings, `"1.5"` — `daily_cap` — tokens, a decimal
    /// string — and `hold_seconds`), over the defaults.
    /// - Throws: `RewardError.invalidRules` naming the setting that does not parse.
    public init(json: JSONValue?) throws(RewardError) {
        self.init()
        guard let json, !json.isNull else { return }
        guard case .object = json else { throw .invalidRules(nil, "expected a JSON object") }
        if let rates = json["rates"] {
            self.rates = try Self.decimals(rates, field: "rates", digits: Int(Self.decimals))
        }
        if let categories = json["category_multipliers"] {
            categoryBps = try Self.decimals(categories, field: "category_multipliers", digits: 4)
        }
        if let tiers = json["tier_multipliers"] {
            tierBps = try Self.decimals(tiers, field: "tier_multipliers", digits: 4)
        }
        if let cap = json["daily_cap"] {
            guard let text = cap.stringValue, let value = DecimalText.parse(text, decimals: Int(Self.decimals)),
                value >= 0
            else {
                throw .invalidRules("daily_cap", "expected a decimal string of tokens")
            }
            dailyCap = value
        }
        if let hold = json["hold_seconds"] {
            guard let text = hold.numberText, let value = Int64(text), value >= 0 else {
                throw .invalidRules("hold_seconds", "expected a non-negative integer")
            }
            holdSeconds = value
        }
    }

    /// Micro-tokens a payment earns before the daily cap, or nil for a currency without a rate.
    public func earned(amount: Int64, currency: Currency, category: String?, tier: String?) -> Int64? {
        guard amount > 0, let rate = rates[currency.code] else { return amount > 0 ? nil : 0 }
        let category = category.flatMap { categoryBps[$0] } ?? defaultCategoryBps
        let tier = tier.flatMap { tierBps[$0] } ?? defaultTierBps
        let numerator = Int128(amount) * Int128(rate) * Int128(category) * Int128(tier)
        let denominator = Int128(currency.minorUnitsPerMajor) * 10_000 * 10_000
        let value = numerator / denominator
        return value > Int128(Int64.max) ? Int64.max : Int64(value)
    }

    /// Decimal strings by key, each times 10^`digits` (4 for basis points, 6 for micro-tokens).
    static func decimals(_ value: JSONValue, field: String, digits: Int) throws(RewardError) -> [String: Int64] {
        guard case .object(let members) = value else {
            throw .invalidRules(field, "expected an object of decimal strings")
        }
        var result: [String: Int64] = [:]
        for (key, item) in members {
            guard let text = item.stringValue, let parsed = DecimalText.parse(text, decimals: digits), parsed >= 0
            else {
                throw .invalidRules("\(field).\(key)", "expected a non-negative decimal string such as \"1.5\"")
            }
            result[key] = parsed
        }
        return result
    }

}
