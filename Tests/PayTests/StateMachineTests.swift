import Foundation
import FunctionKit
import PayFunction
import SmartPayCore
import Testing

@Suite("the payment state machine, request validation and fees")
struct StateMachineTests {
    @Test("every legal transition is allowed and every other one is refused with both states named")
    func transitions() throws {
        let legal: [PaymentStatus: Set<PaymentStatus>] = [
            .requiresPaymentMethod: [.processing, .failed, .canceled],
            .processing: [.requiresAction, .succeeded, .failed],
            .requiresAction: [.processing, .succeeded, .failed, .canceled],
            .succeeded: [.partiallyRefunded, .refunded],
            .partiallyRefunded: [.partiallyRefunded, .refunded],
            .failed: [], .canceled: [], .refunded: [],
        ]
        for from in PaymentStatus.allCases {
            for to in PaymentStatus.allCases {
                let allowed = legal[from]!.contains(to)
                do {
                    try from.validateTransition(to: to)
                    #expect(allowed, "\(from) → \(to) must be refused")
                } catch {
                    #expect(!allowed, "\(from) → \(to) must be allowed")
                    #expect(error.functionError.code == .conflict && error.field == "status")
                    #expect(error.message.contains(from.rawValue) && error.message.contains(to.rawValue))
                }
            }
        }
        var payment = Self.payment()
        try payment.transition(to: .processing, actor: "platform", reason: "checks passed")
        try payment.transition(to: .succeeded, actor: "gateway:stripe", reason: "charged")
        #expect(throws: PaymentError.self) { try payment.transition(to: .canceled, actor: "m", reason: "late") }
        #expect(payment.status == .succeeded, "a refused transition changes nothing")
        #expect(payment.history.map(\.to) == [.requiresPaymentMethod, .processing, .succeeded])
        #expect(payment.history.last?.actor == "gateway:stripe" && payment.history.last?.from == .processing)
    }

    static func payment() -> Payment {
        Payment(
            id: "pay_1", money: Money(minorUnits: 1000, currency: .usd), customerID: "c", merchantID: "m",
            paymentMethod: PaymentMethodDetails(type: .card, tokens: ["stripe": "pm_card_visa"]), fee: 0,
            createdBy: "platform")
    }

    @Test("a payment is stored flat (amount and currency beside the rest) and an unknown stored currency is refused")
    func storedForm() throws {
        let payment = Self.payment()
        let json = try JSONParser().parse(Array(try JSONEncoder().encode(payment)))
        #expect(json["amount"] == .number("1000") && json["currency"] == "USD" && json["money"] == nil)
        #expect(try JSONDecoder().decode(Payment.self, from: try JSONEncoder().encode(payment)) == payment)
        guard case .object(var members) = json else { return }
        members["currency"] = "XYZ"
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(Payment.self, from: Data(JSONValue.object(members).serialized()))
        }
    }

    static func request(_ text: String, identity: Identity? = nil, key: String? = nil) throws(FunctionError)
        -> PaymentRequest
    {
        let json: JSONValue
        do { json = try JSONParser().parse(Array(text.utf8)) } catch {
            throw FunctionError(.invalidRequest, "\(error)")
        }
        return try PaymentRequest(json: json, identity: identity, headerKey: key)
    }

    static let valid =
        #"{"amount": 2000, "currency": "USD", "customer_id": "c_7", "merchant_id": "m_42", "payment_method": {"type": "card", "token": "pm_card_visa"}}"#

    @Test(
        "bad input is refused naming the field",
        arguments: [
            (#""amount": 12.5"#, "amount"), (#""amount": -5"#, "amount"), (#""amount": 0"#, "amount"),
            (#""amount": 99999999999999999999"#, "amount"), (#""amount": 1000000000001"#, "amount"),
            (#""amount": "20""#, "amount"), (#""currency": "XYZ""#, "currency"), (#""currency": "SOL""#, "currency"),
            (#""customer_id": null"#, "customer_id"), (#""merchant_id": """#, "merchant_id"),
            (#""payment_method": {"type": "cheque"}"#, "payment_method.type"),
            (#""payment_method": {"type": "card"}"#, "payment_method.token"),
            (#""payment_method": {"type": "card", "number": "4242424242424242"}"#, "payment_method.number"),
            (#""payment_method": {"type": "crypto", "chain": "ethereum"}"#, "payment_method.chain"),
            (#""payment_method": "card""#, "payment_method"), (#""metadata": {"k": 5}"#, "metadata.k"),
            (#""idempotency_key": """#, "idempotency_key"),
            (#""amuont": 5"#, "amuont"),
            (#""payment_method": {"type": "card", "token": "pm_x", "tokn": "y"}"#, "payment_method.tokn"),
        ])
    func badInput(override: String, field: String) throws {
        var fields = try JSONParser().parse(Array(Self.valid.utf8)).objectValue!
        let patch = try JSONParser().parse(Array("{\(override)}".utf8)).objectValue!
        for (key, value) in patch { fields[key] = value }
        let text = JSONValue.object(fields).serializedString
        do {
            _ = try Self.request(text)
            Issue.record("\(override) was accepted")
        } catch {
            #expect(error.field == field, "\(override): \(error.message)")
        }
    }

    @Test("a misspelt field beside the right one is a 400 naming it, as Stripe's parameter_unknown")
    func unknownField() throws {
        let text = Self.valid.replacingOccurrences(of: #""amount": 2000"#, with: #""amount": 2000, "amuont": 5"#)
        do {
            _ = try Self.request(text)
            Issue.record("the misspelt field was accepted")
        } catch {
            #expect(error.code == .invalidRequest && error.code.httpStatus == 400)
            #expect(error.message.hasPrefix("amuont: unknown field; expected one of amount, country, currency"))
        }
    }

    @Test("a customer's token is the customer; a merchant's key is the merchant; the fingerprint names a difference")
    func identityAndFingerprint() throws {
        let customer = Identity(
            requestContext: try JSONParser().parse(
                #"{"authorizer": {"jwt": {"claims": {"sub": "c_7", "role": "customer"}, "scopes": ["payments:write"]}}}"#
            ))!
        let paid = try Self.request(
            #"{"amount": 500, "currency": "EUR", "merchant_id": "m_42", "payment_method": {"type": "card", "token": "pm_card_visa"}}"#,
            identity: customer)
        #expect(paid.customerID == "c_7")
        #expect(throws: FunctionError.self) {
            try Self.request(Self.valid.replacingOccurrences(of: "c_7", with: "c_8"), identity: customer)
        }
        let a = try Self.request(Self.valid, key: "k1")
        let b = try Self.request(Self.valid.replacingOccurrences(of: "2000", with: "2001"), key: "k1")
        #expect(a.fingerprint != b.fingerprint)
        #expect(PaymentRequest.difference(a.parameters, b.parameters) == "amount")
        #expect(a.fingerprint == (try Self.request(Self.valid, key: "k1")).fingerprint)
        let c = try Self.request(Self.valid.replacingOccurrences(of: "pm_card_visa", with: "pm_other"), key: "k1")
        #expect(PaymentRequest.difference(a.parameters, c.parameters) == "payment_method.tokens.stripe")
    }

    @Test("the platform fee: fixed plus percentage rounded half up, never more than the amount")
    func fees() throws {
        let profile = MerchantProfile(id: "m", feeBasisPoints: 290, feeFixed: 30)
        #expect(try profile.fee(on: Money(minorUnits: 10_000, currency: .usd)) == 320)
        // 2.9 % of 1,050 = 30.45 → 30; of 1,550 = 44.95 → 45.
        #expect(try profile.fee(on: Money(minorUnits: 1_050, currency: .usd)) == 60)
        #expect(try profile.fee(on: Money(minorUnits: 1_550, currency: .usd)) == 75)
        #expect(try profile.fee(on: Money(minorUnits: 20, currency: .usd)) == 20, "capped at the amount")
        #expect(try profile.fee(on: Money(minorUnits: 1_000, currency: .jpy)) == 59)
    }

    @Test("KYC limits scale to each currency's minor units and have their own entries where set")
    func limits() throws {
        let compliance = Compliance()
        #expect(
            compliance.limits(level: "basic", currency: .usd)
                == SpendLimits(perTransaction: 100_000, rolling24h: 250_000))
        #expect(
            compliance.limits(level: "basic", currency: .jpy)
                == SpendLimits(perTransaction: 150_000, rolling24h: 375_000))
        #expect(
            compliance.limits(level: "basic", currency: .kwd)
                == SpendLimits(perTransaction: 300_000, rolling24h: 750_000))
        #expect(compliance.limits(level: "nope", currency: .usd) == nil)
        #expect(throws: FunctionError.self) {
            try Compliance(configuration: FunctionConfiguration(["PAY_KYC_LIMITS": #"{"basic": {"default": [1]}}"#]))
        }
        let custom = try Compliance(
            configuration: FunctionConfiguration([
                "PAY_KYC_LIMITS": #"{"gold": {"default": [5, 10]}}"#, "PAY_DEFAULT_KYC_LEVEL": "gold",
            ]))
        #expect(custom.limits(level: "gold", currency: .eur) == SpendLimits(perTransaction: 500, rolling24h: 1000))
    }
}

@Suite("pay's domain errors at the harness")
struct PaymentErrorTests {
    @Test("each PaymentError becomes the status it names, once, with its message and field")
    func statuses() {
        let cases: [(PaymentError, Int)] = [
            (.illegalTransition(from: .succeeded, to: .canceled, allowed: ["refunded"]), 409),
            (.conflict("busy"), 409), (.notFound("pay_1"), 404), (.forbidden("no"), 403),
            (.invalid("amount", "must be positive"), 422), (.idempotencyMismatch(key: "k", field: "amount"), 400),
            (.idempotencyInProgress(key: "k"), 409), (.unavailable("down"), 503),
        ]
        for (error, status) in cases {
            let converted = FunctionError(wrapping: error)
            #expect(converted.code.httpStatus == status, "\(error)")
            #expect(converted.message == error.message && converted.field == error.field)
        }
        #expect(PaymentError.notFound("pay_1").message == "no such payment: pay_1")
    }
}
