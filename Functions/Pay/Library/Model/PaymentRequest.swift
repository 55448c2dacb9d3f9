import Crypto
import FunctionKit
import SmartPayCore

/// `POST /pay`, validated: every error names its field, and nothing is written before validation passes.
///
/// Fields: `amount` (integer minor units, 1 … `maximumAmount`), `currency` (ISO 4217; `SOL` for crypto only),
/// `customer_id` (implied by a customer's token), `merchant_id` (implied by a merchant's token or API key),
/// `payment_method` (see `PaymentMethodDetails`), optional `description` (≤ 1,000 characters), `metadata` (≤ 50
/// string values, keys ≤ 40 characters, values ≤ 500), `country` (ISO 3166 alpha-2, for routing), `ip` and
/// `device_id` (risk signals), `idempotency_key` (≤ 255 characters; the `Idempotency-Key` header wins).
public struct PaymentRequest: Sendable, Equatable {
    public var money: Money
    public var customerID: String
    public var merchantID: String
    public var paymentMethod: PaymentMethodDetails
    public var description: String?
    public var metadata: [String: String]
    public var country: String?
    public var ip: String?
    public var deviceID: String?
    public var idempotencyKey: String?

    /// The largest amount accepted, in minor units (a trillion: 10 billion in a two-decimal currency).
    public static let maximumAmount: Int64 = 1_000_000_000_000
    /// Fields that would carry a card number or its code; SmartPay takes tokens only.
    static let cardDataFields: Set<String> = ["number", "card_number", "pan", "cvc", "cvv", "exp_month", "exp_year"]
    /// The fields a payment may carry; any other is refused by name, as Stripe refuses an unknown parameter.
    static let fields: Set<String> = [
        "amount", "currency", "customer_id", "merchant_id", "payment_method", "description", "metadata", "country",
        "ip", "device_id", "idempotency_key",
    ]
    static let methodFields: Set<String> = [
        "type", "token", "tokens", "charge_permission_id", "network", "chain", "asset", "payer",
    ]

    /// - Throws: `UnknownFieldError` (a 400 naming it) for the first field, in sorted order, not in `known`.
    static func refuseUnknown(_ value: JSONValue, known: Set<String>, path: String = "") throws(UnknownFieldError) {
        guard case .object(let members) = value,
            let unknown = members.keys.filter({ !known.contains($0) }).min()
        else { return }
        throw UnknownFieldError(path: path.isEmpty ? unknown : "\(path).\(unknown)", known: known.sorted())
    }

    /// - Parameters:
    ///   - identity: the caller behind the HTTP API; a customer's token fixes `customer_id`, a merchant's fixes
    ///     `merchant_id`.
    ///   - headerKey: the `Idempotency-Key` header, when sent.
    /// - Throws: `FunctionError.validation` (or `.invalidRequest` for a wrong shape or an unknown field) naming the
    ///   first bad field.
    public init(json: JSONValue, identity: Identity?, headerKey: String?) throws(FunctionError) {
        let fields = try EventFields(json, what: "the payment")
        do throws(UnknownFieldError) {
            try Self.refuseUnknown(json, known: Self.fields)
        } catch {
            throw FunctionError(wrapping: error)
        }
        let minor = try fields.minorUnits("amount")
        guard minor > 0 else { throw FunctionError.validation("amount", "must be positive, got \(minor)") }
        guard minor <= Self.maximumAmount else {
            throw FunctionError.validation("amount", "must be at most \(Self.maximumAmount) minor units, got \(minor)")
        }
        let currency = try fields.currency()
        money = Money(minorUnits: minor, currency: currency)

        customerID = try Self.party(
            fields, "customer_id", fixedBy: identity?.customerID, role: "customer")
        merchantID = try Self.party(
            fields, "merchant_id",
            fixedBy: identity.flatMap { $0.role == "merchant" || $0.kind == .apiKey ? $0.merchantID : nil },
            role: "merchant")

        guard let method = fields["payment_method"], !method.isNull else {
            throw FunctionError.validation(
                "payment_method", "is required, e.g. {\"type\": \"card\", \"token\": \"pm_…\"}")
        }
        paymentMethod = try Self.method(method)
        if paymentMethod.type == .crypto {
            guard currency.code == "SOL" || currency.code == "USD" else {
                throw FunctionError.validation(
                    "currency", "crypto payments are priced in SOL or in USD (paid in USDC); got \(currency.code)")
            }
        } else if !currency.isISO4217 {
            throw FunctionError.validation(
                "currency", "\(currency.code) is accepted for crypto payments only; use an ISO 4217 currency")
        }

        description = try fields.string("description", maximum: 1000)
        metadata = try Self.metadata(fields["metadata"])
        country = try fields.country("country")
        ip = try fields.string("ip", maximum: 64)
        deviceID = try fields.string("device_id", maximum: 128)
        if let headerKey {
            idempotencyKey = try Self.idempotencyKey(headerKey, field: "Idempotency-Key")
        } else if let key = try fields.string("idempotency_key", maximum: 255) {
            idempotencyKey = try Self.idempotencyKey(key, field: "idempotency_key")
        } else {
            idempotencyKey = nil
        }
    }

    static func idempotencyKey(_ key: String, field: String) throws(FunctionError) -> String {
        guard !key.isEmpty, key.count <= 255 else {
            throw FunctionError.validation(field, "expected 1 to 255 characters, got \(key.count)")
        }
        guard key.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            throw FunctionError.validation(field, "must be printable ASCII")
        }
        return key
    }

    static func party(_ fields: EventFields, _ name: String, fixedBy caller: String?, role: String)
        throws(FunctionError) -> String
    {
        let given = try fields.string(name, maximum: 128)
        if let caller {
            if let given, given != caller {
                throw FunctionError.validation(
                    name, "a \(role)'s credential pays as \(caller); leave \(name) out or send \(caller)")
            }
            return caller
        }
        guard let given else { throw FunctionError.validation(name, "is required") }
        return given
    }

    static func method(_ value: JSONValue) throws(FunctionError) -> PaymentMethodDetails {
        guard case .object(let members) = value else {
            throw FunctionError.validation(
                "payment_method", "expected an object with a type, got \(value.briefDescription)")
        }
        for name in members.keys where cardDataFields.contains(name) {
            throw FunctionError.validation(
                "payment_method.\(name)", "card data is not accepted; send the token your gateway or vault gave")
        }
        do throws(UnknownFieldError) {
            try refuseUnknown(value, known: methodFields, path: "payment_method")
        } catch {
            throw FunctionError(wrapping: error)
        }
        let fields = try EventFields(value, what: "the payment method")
        func named(_ error: FunctionError) -> FunctionError {
            guard let field = error.field else { return error }
            let why =
                error.message.hasPrefix(field + ": ") ? String(error.message.dropFirst(field.count + 2)) : error.message
            return FunctionError.validation("payment_method.\(field)", why)
        }
        do throws(FunctionError) {
            let typeText = try fields.requiredString("type", maximum: 32)
            guard let type = PaymentMethodDetails.Kind(rawValue: typeText) else {
                throw FunctionError.validation(
                    "type", "expected card, wallet, crypto or rewards, got \"\(typeText)\"")
            }
            var details = PaymentMethodDetails(type: type)
            switch type {
            case .card, .wallet:
                details.tokens = try tokens(fields)
                if let token = try fields.string("token", maximum: 255) { details.tokens["stripe"] = token }
                if let permission = try fields.string("charge_permission_id", maximum: 255) {
                    details.tokens["amazon_pay"] = permission
                }
                guard !details.tokens.isEmpty else {
                    throw FunctionError.validation(
                        "token",
                        type == .card
                            ? "is required: a gateway token such as pm_card_visa (or tokens by gateway)"
                            : "is required: a wallet token (token for Stripe, charge_permission_id for Amazon Pay)")
                }
                details.network = try fields.string("network", maximum: 32)?.lowercased()
            case .crypto:
                let chain = try fields.requiredString("chain", maximum: 32)
                guard chain == "solana" else {
                    throw FunctionError.validation("chain", "only solana is supported, got \"\(chain)\"")
                }
                details.chain = chain
                details.asset = try fields.string("asset", maximum: 64)
                details.payer = try fields.string("payer", maximum: 64)
            case .rewards:
                break
            }
            return details
        } catch {
            throw named(error)
        }
    }

    static func tokens(_ fields: EventFields) throws(FunctionError) -> [String: String] {
        guard let value = fields["tokens"], !value.isNull else { return [:] }
        guard case .object(let members) = value else {
            throw FunctionError.validation("tokens", "expected an object of gateway name to token")
        }
        var tokens: [String: String] = [:]
        for (gateway, token) in members {
            guard let text = token.stringValue, !text.isEmpty, text.count <= 255 else {
                throw FunctionError.validation("tokens.\(gateway)", "expected a token of 1 to 255 characters")
            }
            tokens[gateway] = text
        }
        return tokens
    }

    static func metadata(_ value: JSONValue?) throws(FunctionError) -> [String: String] {
        guard let value, !value.isNull else { return [:] }
        guard case .object(let members) = value else {
            throw FunctionError.validation("metadata", "expected an object of string values")
        }
        guard members.count <= 50 else {
            throw FunctionError.validation("metadata", "at most 50 keys, got \(members.count)")
        }
        var metadata: [String: String] = [:]
        for (key, item) in members {
            guard !key.isEmpty, key.count <= 40 else {
                throw FunctionError.validation("metadata", "keys are 1 to 40 characters; \"\(key.prefix(50))\" is not")
            }
            guard let text = item.stringValue, text.count <= 500 else {
                throw FunctionError.validation("metadata.\(key)", "expected a string of at most 500 characters")
            }
            metadata[key] = text
        }
        return metadata
    }

    /// The parameters a retry must repeat, as one canonical JSON object (keys sorted when serialised).
    public var parameters: JSONValue {
        var method: [String: JSONValue] = ["type": .string(paymentMethod.type.rawValue)]
        if !paymentMethod.tokens.isEmpty {
            method["tokens"] = .object(paymentMethod.tokens.mapValues(JSONValue.string))
        }
        if let network = paymentMethod.network { method["network"] = .string(network) }
        if let chain = paymentMethod.chain { method["chain"] = .string(chain) }
        if let asset = paymentMethod.asset { method["asset"] = .string(asset) }
        if let payer = paymentMethod.payer { method["payer"] = .string(payer) }
        var object: [String: JSONValue] = [
            "amount": .number(String(money.minorUnits)), "currency": .string(money.currency.code),
            "customer_id": .string(customerID), "merchant_id": .string(merchantID), "payment_method": .object(method),
            "metadata": .object(metadata.mapValues(JSONValue.string)),
        ]
        if let description { object["description"] = .string(description) }
        if let country { object["country"] = .string(country) }
        if let ip { object["ip"] = .string(ip) }
        if let deviceID { object["device_id"] = .string(deviceID) }
        return .object(object)
    }

    /// SHA-256 of the canonical parameters, in hex.
    public var fingerprint: String { Self.fingerprint(of: parameters) }

    static func fingerprint(of parameters: JSONValue) -> String {
        // serialized() sorts object keys: equal parameters give equal bytes.
        Hex.encode(SHA256.hash(data: parameters.serialized()))
    }

    /// The first parameter that differs between two requests, as a dotted path (`amount`, `payment_method.tokens`).
    public static func difference(_ stored: JSONValue, _ new: JSONValue, path: String = "") -> String? {
        guard case .object(let old) = stored, case .object(let fresh) = new else {
            return stored == new ? nil : (path.isEmpty ? "the request" : path)
        }
        for key in Set(old.keys).union(fresh.keys).sorted() {
            let child = path.isEmpty ? key : path + "." + key
            switch (old[key], fresh[key]) {
            case (nil, nil): continue
            case (let a?, let b?):
                if let found = difference(a, b, path: child) { return found }
            default: return child
            }
        }
        return nil
    }
}
