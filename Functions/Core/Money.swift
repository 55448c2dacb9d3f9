/// An amount of money: an integer number of minor units in one currency. Never floating point.
///
/// Arithmetic is overflow-checked and refuses to mix currencies; both are errors, never a wrapped value.
public struct Money: Hashable, Sendable {
    /// The amount in the currency's minor unit (cents for USD, yen for JPY, lamports for SOL).
    public let minorUnits: Int64
    public let currency: Currency

    public init(minorUnits: Int64, currency: Currency) {
        self.minorUnits = minorUnits
        self.currency = currency
    }

    public static func zero(_ currency: Currency) -> Money { Money(minorUnits: 0, currency: currency) }

    public var isNegative: Bool { minorUnits < 0 }
    public var isPositive: Bool { minorUnits > 0 }

    /// The sum of two amounts in the same currency.
    /// - Throws: `MoneyError.currencyMismatch` or `MoneyError.overflow`.
    public func adding(_ other: Money) throws(MoneyError) -> Money {
        try requireSameCurrency(other)
        let (sum, overflow) = minorUnits.addingReportingOverflow(other.minorUnits)
        if overflow { throw .overflow("\(self) + \(other)") }
        return Money(minorUnits: sum, currency: currency)
    }

    /// The difference of two amounts in the same currency.
    /// - Throws: `MoneyError.currencyMismatch` or `MoneyError.overflow`.
    public func subtracting(_ other: Money) throws(MoneyError) -> Money {
        try requireSameCurrency(other)
        let (difference, overflow) = minorUnits.subtractingReportingOverflow(other.minorUnits)
        if overflow { throw .overflow("\(self) - \(other)") }
        return Money(minorUnits: difference, currency: currency)
    }

    /// The amount times a whole factor.
    /// - Throws: `MoneyError.overflow`.
    public func multiplied(by factor: Int64) throws(MoneyError) -> Money {
        let (product, overflow) = minorUnits.multipliedReportingOverflow(by: factor)
        if overflow { throw .overflow("\(self) × \(factor)") }
        return Money(minorUnits: product, currency: currency)
    }

    /// The given share of this amount, in basis points (1/100 of a percent), rounded by `rule`.
    ///
    /// Computed in 128-bit so that no intermediate product overflows; used for fees (2.9 % = 290 bps).
    /// - Throws: `MoneyError.invalidBasisPoints` for a negative share, `MoneyError.overflow` when the result
    ///   does not fit.
    public func share(basisPoints: Int64, rounding rule: RoundingRule) throws(MoneyError) -> Money {
        guard basisPoints >= 0 else { throw .invalidBasisPoints("a share of \(basisPoints) bps is negative") }
        let magnitude = minorUnits.magnitude
        let product = magnitude.multipliedFullWidth(by: UInt64(basisPoints))
        let (quotient, remainder) = UInt64(10_000).dividingFullWidth(product)
        let rounded = rule.round(quotient: quotient, remainder: remainder, divisor: 10_000, negative: minorUnits < 0)
        guard rounded <= UInt64(Int64.max) else { throw .overflow("\(self) × \(basisPoints) bps") }
        let value = Int64(rounded)
        return Money(minorUnits: minorUnits < 0 ? -value : value, currency: currency)
    }

    /// Splits the amount into parts by basis points so that the parts sum exactly to the amount.
    ///
    /// Each part first gets the floor of its exact share; the minor units left over go one each to the parts with
    /// the largest remainders (ties to the earlier part). Parts carry the sign of the amount; none is of the
    /// opposite sign.
    /// - Parameter basisPoints: the shares, each ≥ 0, summing to 10,000.
    /// - Throws: `MoneyError.invalidBasisPoints` when the shares are empty, negative or do not sum to 10,000.
    public func split(basisPoints: [Int]) throws(MoneyError) -> [Money] {
        guard !basisPoints.isEmpty else { throw .invalidBasisPoints("no parts to split into") }
        if let negative = basisPoints.firstIndex(where: { $0 < 0 }) {
            throw .invalidBasisPoints("part \(negative) is negative (\(basisPoints[negative]) bps)")
        }
        let total = basisPoints.reduce(0) { $0 &+ $1 }
        guard total == 10_000, basisPoints.allSatisfy({ $0 <= 10_000 }) else {
            throw .invalidBasisPoints("parts sum to \(total) bps, expected 10000")
        }
        let magnitude = minorUnits.magnitude
        var floors = [UInt64]()
        var remainders = [UInt64]()
        floors.reserveCapacity(basisPoints.count)
        remainders.reserveCapacity(basisPoints.count)
        for bps in basisPoints {
            let (quotient, remainder) = UInt64(10_000).dividingFullWidth(magnitude.multipliedFullWidth(by: UInt64(bps)))
            floors.append(quotient)
            remainders.append(remainder)
        }
        var leftover = magnitude - floors.reduce(0, +)
        let order = remainders.indices.sorted {
            remainders[$0] != remainders[$1] ? remainders[$0] > remainders[$1] : $0 < $1
        }
        var index = 0
        while leftover > 0 {
            floors[order[index % order.count]] += 1
            leftover -= 1
            index += 1
        }
        let negative = minorUnits < 0
        return floors.map { part in
            // A part never exceeds the magnitude, so it fits; Int64.min's magnitude needs the wrapping negate.
            let signed = negative ? 0 &- Int64(truncatingIfNeeded: part) : Int64(truncatingIfNeeded: part)
            return Money(minorUnits: signed, currency: currency)
        }
    }

    private func requireSameCurrency(_ other: Money) throws(MoneyError) {
        guard currency == other.currency else { throw .currencyMismatch(currency, other.currency) }
    }
}

extension Money: CustomStringConvertible {
    /// The amount in major units with exactly the currency's decimals, then the code: `12.50 USD`, `500 JPY`.
    public var description: String {
        DecimalText.format(minorUnits, decimals: currency.exponent) + " " + currency.code
    }
}

extension Money: Codable {
    enum CodingKeys: String, CodingKey {
        case amount
        case currency
    }

    /// Decodes `{"amount": <integer minor units>, "currency": "<ISO 4217>"}`; the keys may also sit beside other
    /// fields of the enclosing object, so a request type can decode its `Money` from its own decoder.
    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let minorUnits = try container.decode(MinorUnits.self, forKey: .amount).value
        let currency = try container.decode(Currency.self, forKey: .currency)
        self.init(minorUnits: minorUnits, currency: currency)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(minorUnits, forKey: .amount)
        try container.encode(currency, forKey: .currency)
    }
}

/// How a fractional minor unit is resolved.
public enum RoundingRule: String, Sendable, Codable {
    /// Toward zero.
    case down
    /// Away from zero.
    case up
    /// To nearest; halves away from zero.
    case halfUp = "half_up"
    /// To nearest; halves to the even neighbour (banker's rounding).
    case halfEven = "half_even"

    func round(quotient: UInt64, remainder: UInt64, divisor: UInt64, negative: Bool) -> UInt64 {
        guard remainder > 0 else { return quotient }
        switch self {
        case .down: return quotient
        case .up: return quotient + 1
        case .halfUp: return remainder * 2 >= divisor ? quotient + 1 : quotient
        case .halfEven:
            if remainder * 2 > divisor { return quotient + 1 }
            if remainder * 2 < divisor { return quotient }
            return quotient % 2 == 0 ? quotient : quotient + 1
        }
    }
}

/// Why a money operation was refused.
public enum MoneyError: Error, Hashable, Sendable, CustomStringConvertible {
    case currencyMismatch(Currency, Currency)
    case overflow(String)
    case invalidBasisPoints(String)

    public var description: String {
        switch self {
        case .currencyMismatch(let a, let b): "cannot combine \(a.code) with \(b.code)"
        case .overflow(let what): "amount overflow in \(what)"
        case .invalidBasisPoints(let why): "invalid split: \(why)"
        }
    }
}
