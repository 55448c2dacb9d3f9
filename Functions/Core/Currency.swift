/// A currency: an ISO 4217 code with its minor-unit exponent, or one of the few on-chain assets SmartPay settles in.
///
/// Amounts are always integers in the currency's minor unit: cents for USD (exponent 2), yen for JPY (0),
/// fils for KWD (3), lamports for SOL (9).
public struct Currency: Hashable, Sendable, CustomStringConvertible {
    /// The upper-case code, e.g. `USD`.
    public let code: String
    /// How many decimal places the minor unit has: 10^exponent minor units make one major unit.
    public let exponent: Int
    /// False for assets outside ISO 4217 (SOL).
    public let isISO4217: Bool

    /// Looks a currency up by its code, case-insensitively.
    /// - Throws: `CurrencyError.unknown` when the code is neither an ISO 4217 currency nor a supported asset.
    public init(code: String) throws(CurrencyError) {
        let upper = code.uppercased()
        if let exponent = Currency.iso4217[upper] {
            self.init(code: upper, exponent: exponent, isISO4217: true)
        } else if let exponent = Currency.assets[upper] {
            self.init(code: upper, exponent: exponent, isISO4217: false)
        } else {
            throw .unknown(code)
        }
    }

    private init(code: String, exponent: Int, isISO4217: Bool) {
        self.code = code
        self.exponent = exponent
        self.isISO4217 = isISO4217
    }

    public var description: String { code }

    public static let usd = try! Currency(code: "USD")
    public static let eur = try! Currency(code: "EUR")
    public static let jpy = try! Currency(code: "JPY")
    public static let kwd = try! Currency(code: "KWD")
    public static let sol = try! Currency(code: "SOL")

    /// Minor units in one major unit (10^exponent).
    public var minorUnitsPerMajor: Int64 {
        var result: Int64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// On-chain assets accepted beside ISO 4217 currencies.
    static let assets: [String: Int] = ["SOL": 9]

    /// Active ISO 4217 codes and their minor-unit exponents (the standard's list, funds codes included).
    static let iso4217: [String: Int] = {
        var table: [String: Int] = [:]
        let twoDecimals = """
            AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BOV BRL BSD BTN BWP BYN BZD CAD CDF \
            CHE CHF CHW CNY COP COU CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GTQ GYD \
            HKD HNL HTG HUF IDR ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL MGA MKD MMK MNT \
            MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR PLN QAR RON RSD RUB SAR \
            SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TOP TRY TTD TWD TZS UAH USD USN UYU \
            UZS VED VES WST XCD XCG YER ZAR ZMW ZWG
            """
        for code in twoDecimals.split(separator: " ") { table[String(code)] = 2 }
        for code in "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF".split(separator: " ") {
            table[String(code)] = 0
        }
        for code in "BHD IQD JOD KWD LYD OMR TND".split(separator: " ") { table[String(code)] = 3 }
        for code in "CLF UYW".split(separator: " ") { table[String(code)] = 4 }
        return table
    }()
}

/// Why a currency code was refused.
public enum CurrencyError: Error, Hashable, Sendable, CustomStringConvertible {
    case unknown(String)

    public var description: String {
        switch self {
        case .unknown(let code): "unknown currency \"\(code)\": expected an ISO 4217 code such as USD, EUR or JPY"
        }
    }
}

extension Currency: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let code = try container.decode(String.self)
        do {
            try self.init(code: code)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(code)
    }
}
