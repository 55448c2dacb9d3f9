import Crypto
import SmartPayContracts
import SmartPayCore

/// A transaction to score: a `FraudRequest` (the contract pay, `POST /fraud` and `payment.requested` send) checked
/// field by field — an amount not negative, a timestamp in RFC 3339 (default: the EventBridge event's time, else
/// now), a BIN of 6 to 8 digits, ISO 3166 countries, an IP address, an email of which only its SHA-256 is kept.
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

    /// A transaction from its request, checked beyond the request's types.
    /// - Throws: `FraudInputError` naming the first field that breaks a rule.
    public init(_ request: FraudRequest, defaultTime: Timestamp) throws(FraudInputError) {
        id = try Self.text(request.transactionID, "transaction_id")
        guard request.amount >= 0 else {
            throw FraudInputError("amount", "must not be negative, got \(request.amount)")
        }
        money = request.money
        time = try Self.time(request.timestamp) ?? defaultTime
        customerID = try Self.text(request.customerID, "customer_id")
        terminalID = try Self.text(request.terminalID, "terminal_id")
        cardFingerprint = try Self.optional(request.cardFingerprint, "card_fingerprint")
        cardBIN = try Self.cardBIN(request.cardBIN)
        cardCountry = try Self.country(request.cardCountry, "card_country")
        billingCountry = try Self.country(request.billingCountry, "billing_country")
        ip = try Self.ip(request.ip)
        ipCountry = try Self.country(request.ipCountry, "ip_country")
        deviceID = try Self.optional(request.deviceID, "device_id")
        if let email = try Self.optional(request.email, "email", maximum: 254) {
            guard email.contains("@") else { throw FraudInputError("email", "expected an email address") }
            emailDigest = Self.digest(email: email)
        }
    }

    private static func text(_ value: String, _ field: String, maximum: Int = 128) throws(FraudInputError) -> String {
        if let violation = JSONFieldRules.textViolation(value, maximum: maximum) {
            throw FraudInputError(field, violation)
        }
        return value
    }

    private static func optional(
        _ value: String?, _ field: String, maximum: Int = 128
    ) throws(FraudInputError) -> String? {
        guard let value else { return nil }
        return try text(value, field, maximum: maximum)
    }

    /// An ISO 3166 alpha-2 country, upper-cased.
    private static func country(_ value: String?, _ field: String) throws(FraudInputError) -> String? {
        guard let value = try optional(value, field) else { return nil }
        if let violation = JSONFieldRules.countryViolation(value) { throw FraudInputError(field, violation) }
        return value.uppercased()
    }

    /// An RFC 3339 `timestamp`; nil when there is none.
    private static func time(_ stamp: String?) throws(FraudInputError) -> Timestamp? {
        guard let stamp = try optional(stamp, "timestamp", maximum: 64) else { return nil }
        do {
            return try Timestamp(rfc3339: stamp)
        } catch {
            throw FraudInputError("timestamp", error.description)
        }
    }

    /// The card's first 6 to 8 digits.
    private static func cardBIN(_ value: String?) throws(FraudInputError) -> String? {
        guard let bin = try optional(value, "card_bin", maximum: 8) else { return nil }
        guard (6...8).contains(bin.utf8.count), bin.utf8.allSatisfy({ (48...57).contains($0) }) else {
            throw FraudInputError("card_bin", "expected the card's first 6 to 8 digits, got \"\(bin)\"")
        }
        return bin
    }

    /// An IPv4 or IPv6 address in hex digits, dots and colons, lower-cased.
    private static func ip(_ value: String?) throws(FraudInputError) -> String? {
        guard let address = try optional(value, "ip", maximum: 45) else { return nil }
        let allowed = address.utf8.allSatisfy {
            (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) || $0 == 0x2E || $0 == 0x3A
        }
        guard allowed, address.contains(".") || address.contains(":") else {
            throw FraudInputError("ip", "expected an IPv4 or IPv6 address, got \"\(address)\"")
        }
        return address.lowercased()
    }

    /// Decodes a request from JSON and checks it: what the offline tools and tests read transactions with.
    /// - Throws: `DecodingError` naming the field for a wrong shape, `FraudInputError` for a broken rule.
    public init(json event: JSONValue, defaultTime: Timestamp) throws {
        try self.init(JSONValueDecoder().decode(FraudRequest.self, from: event), defaultTime: defaultTime)
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
