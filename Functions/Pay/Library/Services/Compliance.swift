import FunctionKit
import SmartPayCore

/// KYC levels and their limits (after the CPay seed): a customer's profile names a level; each level has a
/// per-transaction and a rolling 24-hour limit per currency.
///
/// Limits are nominal per currency (no FX): a level's `default` applies in major units of any ISO 4217 currency,
/// and a currency may have its own entry (JPY, SOL and KWD do by default). `PAY_KYC_LIMITS` replaces the table:
/// `{"basic": {"default": [1000, 2500], "JPY": [150000, 375000]}, …}` — [per transaction, 24 hours], major units.
public struct Compliance: Sendable {
    public var levels: [String: [String: (perTransaction: Int64, daily: Int64)]]
    /// The level of a customer without a profile.
    public var defaultLevel: String

    public static let standardLevels: [String: [String: (perTransaction: Int64, daily: Int64)]] = [
        "none": ["default": (0, 0)],
        "basic": ["default": (1_000, 2_500), "JPY": (150_000, 375_000), "KWD": (300, 750), "SOL": (10, 25)],
        "verified": [
            "default": (10_000, 25_000), "JPY": (1_500_000, 3_750_000), "KWD": (3_000, 7_500), "SOL": (100, 250),
        ],
        "full": [
            "default": (100_000, 250_000), "JPY": (15_000_000, 37_500_000), "KWD": (30_000, 75_000),
            "SOL": (1_000, 2_500),
        ],
    ]

    public init(
        levels: [String: [String: (perTransaction: Int64, daily: Int64)]] = Self.standardLevels,
        defaultLevel: String = "basic"
    ) {
        self.levels = levels
        self.defaultLevel = defaultLevel
    }

    /// Reads `PAY_KYC_LIMITS` and `PAY_DEFAULT_KYC_LEVEL`.
    /// - Throws: `FunctionError.invalidRequest` naming the setting when it cannot be used.
    public init(configuration: FunctionConfiguration) throws(FunctionError) {
        var levels = Self.standardLevels
        if let text = configuration.string("PAY_KYC_LIMITS") {
            guard case .object(let table)? = try? JSONParser().parse(Array(text.utf8)) else {
                throw FunctionError(.invalidRequest, "PAY_KYC_LIMITS: expected a JSON object of levels")
            }
            levels = [:]
            for (level, entries) in table {
                guard case .object(let currencies) = entries else {
                    throw FunctionError(.invalidRequest, "PAY_KYC_LIMITS.\(level): expected an object of currencies")
                }
                for (currency, pair) in currencies {
                    guard case .array(let values) = pair, values.count == 2,
                        let first = Self.integer(values[0]),
                        let second = Self.integer(values[1]), first >= 0, second >= 0
                    else {
                        throw FunctionError(
                            .invalidRequest, "PAY_KYC_LIMITS.\(level).\(currency): expected [per transaction, 24 hours]"
                        )
                    }
                    levels[level, default: [:]][currency] = (first, second)
                }
            }
        }
        let level = configuration.string("PAY_DEFAULT_KYC_LEVEL") ?? "basic"
        guard levels[level] != nil else {
            throw FunctionError(.invalidRequest, "PAY_DEFAULT_KYC_LEVEL: no level \(level) in the limits")
        }
        self.init(levels: levels, defaultLevel: level)
    }

    static func integer(_ value: JSONValue) -> Int64? {
        if case .number(let text) = value { return Int64(text) }
        return nil
    }

    /// The limits of `level` in `currency`, in minor units; nil when the level is unknown.
    public func limits(level: String, currency: Currency) -> SpendLimits? {
        guard let table = levels[level], let entry = table[currency.code] ?? table["default"] else { return nil }
        let scale = currency.minorUnitsPerMajor
        let (perTransaction, overflowA) = entry.perTransaction.multipliedReportingOverflow(by: scale)
        let (daily, overflowB) = entry.daily.multipliedReportingOverflow(by: scale)
        return SpendLimits(
            perTransaction: overflowA ? .max : perTransaction, rolling24h: overflowB ? .max : daily)
    }
}
