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
        let fields = try EventFields(event, what: "the transaction")
        for name in Self.cardNumberFields where fields[name] != nil {
            throw FunctionError.validation(
                name, "card numbers are not accepted; send card_fingerprint, the token your vault gives")
        }
        func either(_ name: String, or alias: String) throws(FunctionError) -> String {
            if fields[name] == nil, fields[alias] != nil { return try fields.string(alias, required: true)! }
            return try fields.string(name, required: true)!
        }

        id = try either("transaction_id", or: "payment_id")
        let minorUnits = try fields.minorUnits("amount")
        guard minorUnits >= 0 else {
            throw FunctionError.validation("amount", "must not be negative, got \(minorUnits)")
        }
        money = Money(minorUnits: minorUnits, currency: try fields.currency())
        if let text = try fields.string("timestamp", maximum: 64) {
            do {
                time = try Timestamp(rfc3339: text)
            } catch {
                throw FunctionError.validation("timestamp", error.description)
            }
        } else {
            time = defaultTime
        }
        customerID = try fields.string("customer_id", required: true)!
        terminalID = try either("terminal_id", or: "merchant_id")
        cardFingerprint = try fields.string("card_fingerprint")
        if let bin = try fields.string("card_bin", maximum: 8) {
            guard (6...8).contains(bin.utf8.count), bin.utf8.allSatisfy({ (48...57).contains($0) }) else {
                throw FunctionError.validation("card_bin", "expected the card's first 6 to 8 digits, got \"\(bin)\"")
            }
            cardBIN = bin
        }
        cardCountry = try fields.country("card_country")
        billingCountry = try fields.country("billing_country")
        if let address = try fields.string("ip", maximum: 45) {
            let allowed = address.utf8.allSatisfy {
                (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) || $0 == 0x2E || $0 == 0x3A
            }
            guard allowed, address.contains(".") || address.contains(":") else {
                throw FunctionError.validation("ip", "expected an IPv4 or IPv6 address, got \"\(address)\"")
            }
            ip = address.lowercased()
        }
        ipCountry = try fields.country("ip_country")
        deviceID = try fields.string("device_id")
        if let email = try fields.string("email", maximum: 254) {
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
