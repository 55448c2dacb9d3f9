import SmartPayCore

/// A payment gateway as configuration: what it accepts and what it costs.
public struct GatewayProfile: Sendable, Equatable {
    public var name: String
    /// The currencies it settles; nil for any.
    public var currencies: Set<String>?
    public var methods: Set<PaymentMethod>
    /// The customer countries it serves; nil for any.
    public var countries: Set<String>?
    /// The percentage fee in basis points (290 = 2.9 %).
    public var feeBasisPoints: Int64
    /// The fixed fee per payment, in the payment currency's minor units, by currency (`"*"` for any other).
    public var fixedFeeMinor: [String: Int64]

    public init(
        name: String, currencies: Set<String>?, methods: Set<PaymentMethod>, countries: Set<String>? = nil,
        feeBasisPoints: Int64, fixedFeeMinor: [String: Int64]
    ) {
        self.name = name
        self.currencies = currencies
        self.methods = methods
        self.countries = countries
        self.feeBasisPoints = feeBasisPoints
        self.fixedFeeMinor = fixedFeeMinor
    }

    public func accepts(_ context: RouteContext) -> Bool {
        methods.contains(context.method) && (currencies?.contains(context.money.currency.code) ?? true)
            && (countries?.contains(context.country) ?? true)
    }

    /// The fee for an amount, in its minor units: basis points rounded half up, plus the fixed part.
    public func fee(for money: Money) -> Int64 {
        let (product, overflow) = money.minorUnits.multipliedReportingOverflow(by: feeBasisPoints)
        let percentage = overflow ? Int64.max / 2 : (product + 5_000) / 10_000
        return percentage + (fixedFeeMinor[money.currency.code] ?? fixedFeeMinor["*"] ?? 0)
    }
}

/// The gateways `route` chooses among.
public struct GatewayCatalog: Sendable {
    public var gateways: [GatewayProfile]

    public init(_ gateways: [GatewayProfile]) { self.gateways = gateways }

    /// Stripe, Amazon Pay and Solana Pay with their list prices (2.9 % + 30¢, 2.7 % + 30¢, 0.1 % + 1¢).
    public static let standard = GatewayCatalog([
        GatewayProfile(
            name: "stripe", currencies: nil, methods: [.card, .wallet], feeBasisPoints: 290,
            fixedFeeMinor: ["USD": 30, "EUR": 25, "GBP": 20, "JPY": 30, "*": 30]),
        GatewayProfile(
            name: "amazon_pay", currencies: ["USD", "EUR", "GBP", "JPY"], methods: [.card, .wallet],
            feeBasisPoints: 270, fixedFeeMinor: ["USD": 30, "EUR": 25, "GBP": 20, "JPY": 30, "*": 30]),
        GatewayProfile(
            name: "solana", currencies: ["USD", "EUR", "SOL"], methods: [.card, .wallet, .crypto], feeBasisPoints: 10,
            fixedFeeMinor: ["*": 1]),
    ])

    public func profile(_ name: String) -> GatewayProfile? { gateways.first { $0.name == name } }

    /// The eligible gateways among `candidates` (all when nil), in catalogue order.
    /// - Throws: `RouteInputError` for an unknown candidate, or when none is eligible (naming the currency, method
    ///   and country).
    public func eligible(for context: RouteContext, candidates: [String]?) throws(RouteInputError) -> [GatewayProfile] {
        if let candidates {
            for name in candidates where profile(name) == nil {
                throw RouteInputError(
                    "gateways", "unknown gateway \"\(name)\" (known: \(gateways.map(\.name).joined(separator: ", ")))")
            }
        }
        let allowed = candidates.map(Set.init)
        let eligible = gateways.filter { (allowed?.contains($0.name) ?? true) && $0.accepts(context) }
        guard !eligible.isEmpty else {
            throw RouteInputError(
                "currency",
                "no gateway accepts \(context.money.currency.code) by \(context.method.rawValue) from \(context.country)"
            )
        }
        return eligible
    }
}
