import Crypto
import FunctionKit
import SmartPayCore

/// A transaction to score, read from an event with an error naming the field for anything wrong.
///
/// Fields (snake_case): `transaction_id` (or `payment_id`), `amount` (integer minor units, not negative),
/// `currency` (ISO 4217), `timestamp` (RFC 3339; default: the EventBridge event's time, else now), `customer_id`,
/// `terminal_id` (or `merchant_id`); optional `card_fingerprint` (a token, never a card number), `card_bin`,
/// `card_country`, `billing_country`, `ip`, `ip_country`, `device_id`, `email` (only its SHA-256 is kept).
public struct FraudTransaction: Sendable, Equatable {
    public var id: String
    public var money: Money
    public var time: Timestamp
    public var customerID: String
    public var terminalID: String
    public var cardFingerprint: String?
    public var cardBIN: String?
    public var cardCountry: String?
    public var billingCountry: String?
    public var ip: String?
    public var ipCountry: String?
    public var deviceID: String?
    /// SHA-256 of the lower-cased, trimmed email, in hex: what blocklists match; the address itself is not kept.
    public var emailDigest: String?

    /// Fields that carry a card number, refused outright: SmartPay takes tokens only.
    static let cardNumberFields = ["card_number", "pan", "number", "card"]

    public init(
        id: String, money: Money, time: Timestamp, customerID: String, terminalID: String,
        cardFingerprint: String? = nil, cardBIN: String? = nil, cardCountry: String? = nil,
        billingCountry: String? = nil, ip: String? = nil, ipCountry: String? = nil, deviceID: String? = nil,
        email: String? = nil
    ) {
        self.id = id
        self.money = money
        self.time = time
        self.customerID = customerID
        self.terminalID = terminalID
        self.cardFingerprint = cardFingerprint
        self.cardBIN = cardBIN
        self.cardCountry = cardCountry
        self.billingCountry = billingCountry
        self.ip = ip
        self.ipCountry = ipCountry
        self.deviceID = deviceID
        self.emailDigest = email.map(Self.digest(email:))
    }

    /// Reads and validates a transaction.
    /// - Throws: `FunctionError.validation` naming the first wrong field.
    public init(json event: JSONValue, defaultTime: Timestamp) throws(FunctionError) {
        guard case .object(let fields) = event else {
            throw FunctionError(.invalidRequest, "expected a JSON object with the transaction")
        }
        for name in Self.cardNumberFields where fields[name] != nil {
            throw FunctionError.validation(
                name, "card numbers are not accepted; send card_fingerprint, the token your vault gives")
        }
        func string(_ name: String, required: Bool, maximum: Int = 128) throws(FunctionError) -> String? {
            guard let value = fields[name], !value.isNull else {
                if required { throw FunctionError.validation(name, "is required") }
                return nil
            }
            guard let text = value.stringValue else {
                throw FunctionError.validation(name, "expected a string, got \(value.briefDescription)")
            }
            guard !text.isEmpty, text.count <= maximum else {
                throw FunctionError.validation(name, "expected 1 to \(maximum) characters, got \(text.count)")
            }
            guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw FunctionError.validation(name, "must not contain control characters")
            }
            return text
        }
        func either(_ name: String, or alias: String) throws(FunctionError) -> String {
            if fields[name] == nil, fields[alias] != nil { return try string(alias, required: true)! }
            return try string(name, required: true)!
        }
        func country(_ name: String) throws(FunctionError) -> String? {
            guard let text = try string(name, required: false) else { return nil }
            guard text.utf8.count == 2, text.utf8.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) })
            else { throw FunctionError.validation(name, "expected an ISO 3166 alpha-2 country code, got \"\(text)\"") }
            return text.uppercased()
        }

        id = try either("transaction_id", or: "payment_id")
        guard let amountValue = fields["amount"], !amountValue.isNull else {
            throw FunctionError.validation("amount", "is required (an integer number of minor units)")
        }
        guard case .number(let amountText) = amountValue, let minorUnits = Int64(amountText) else {
            throw FunctionError.validation(
                "amount", "expected an integer number of minor units, got \(amountValue.briefDescription)")
        }
        guard minorUnits >= 0 else {
            throw FunctionError.validation("amount", "must not be negative, got \(minorUnits)")
        }
        guard let currencyCode = try string("currency", required: true, maximum: 8) else {
            throw FunctionError.validation("currency", "is required")
        }
        let currency: Currency
        do {
            currency = try Currency(code: currencyCode)
        } catch {
            throw FunctionError.validation("currency", error.description)
        }
        money = Money(minorUnits: minorUnits, currency: currency)
        if let text = try string("timestamp", required: false, maximum: 64) {
            do {
                time = try Timestamp(rfc3339: text)
            } catch {
                throw FunctionError.validation("timestamp", error.description)
            }
        } else {
            time = defaultTime
        }
        customerID = try string("customer_id", required: true)!
        terminalID = try either("terminal_id", or: "merchant_id")
        cardFingerprint = try string("card_fingerprint", required: false)
        if let bin = try string("card_bin", required: false, maximum: 8) {
            guard (6...8).contains(bin.utf8.count), bin.utf8.allSatisfy({ (48...57).contains($0) }) else {
                throw FunctionError.validation("card_bin", "expected the card's first 6 to 8 digits, got \"\(bin)\"")
            }
            cardBIN = bin
        }
        cardCountry = try country("card_country")
        billingCountry = try country("billing_country")
        if let address = try string("ip", required: false, maximum: 45) {
            let allowed = address.utf8.allSatisfy {
                (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) || $0 == 0x2E || $0 == 0x3A
            }
            guard allowed, address.contains(".") || address.contains(":") else {
                throw FunctionError.validation("ip", "expected an IPv4 or IPv6 address, got \"\(address)\"")
            }
            ip = address.lowercased()
        }
        ipCountry = try country("ip_country")
        deviceID = try string("device_id", required: false)
        if let email = try string("email", required: false, maximum: 254) {
            guard email.contains("@") else {
                throw FunctionError.validation("email", "expected an email address")
            }
            emailDigest = Self.digest(email: email)
        }
    }

    /// Seconds since the epoch, the feature code's clock.
    public var seconds: Int64 { Self.floorSeconds(time.millisecondsSinceEpoch) }

    static func floorSeconds(_ milliseconds: Int64) -> Int64 {
        milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
    }

    /// What the feature code reads of the transaction itself.
    public var featureTransaction: FeatureTransaction {
        FeatureTransaction(
            time: seconds,
            amount: Double(money.minorUnits) / Double(money.currency.minorUnitsPerMajor),
            ipCountry: ipCountry, cardCountry: cardCountry ?? billingCountry)
    }

    public static func digest(email: String) -> String {
        let normalized = email.trimmingWhitespace().lowercased()
        return Hex.encode(SHA256.hash(data: Array(normalized.utf8)))
    }
}

extension String {
    func trimmingWhitespace() -> String {
        var scalars = Substring(self)
        while let first = scalars.first, first.isWhitespace { scalars.removeFirst() }
        while let last = scalars.last, last.isWhitespace { scalars.removeLast() }
        return String(scalars)
    }
}
