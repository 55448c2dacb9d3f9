import Foundation
import SmartPayCore
import SmartPayHTTP

/// Amazon Pay API v2: a Charge created against the buyer's Charge Permission (`charge_permission_id`, or the
/// method's `tokens.amazon_pay`), authorised and then captured; Charges cancelled and refunded.
///
/// Every request is signed (`AmazonPaySigner`) and every POST carries `x-amz-pay-idempotency-key`: the attempt's key
/// for the Charge, the same key with `:capture` for its capture, so a retried attempt finds the first Charge and its
/// capture instead of making new ones. States, as the Charge page documents them: `Authorized → CaptureInitiated →
/// Completed` (the state table calls the last one `Captured`; both are accepted), `Declined`, `Canceled`.
///
/// Endpoints: `https://pay-api.amazon.{com,eu,jp}` by region (`AMAZON_PAY_REGION`: us, eu, jp), under
/// `/{sandbox|live}/v2/` (`AMAZON_PAY_ENVIRONMENT`), or `/v2/` for the newer keys whose id starts with `SANDBOX-` or
/// `LIVE-`. `AMAZON_PAY_API_BASE` replaces the host: `smartpay serve` and the tests point it at the sandbox server on
/// loopback (`infra/sandboxes/amazonpay_sandbox.py`), which verifies the signatures with its own implementation.
public struct AmazonPayGateway: PaymentGateway {
    public enum Region: String, Sendable {
        case us, eu, jp

        var host: String {
            switch self {
            case .us: "pay-api.amazon.com"
            case .eu: "pay-api.amazon.eu"
            case .jp: "pay-api.amazon.jp"
            }
        }
    }

    /// The currencies a Charge can be presented in (the US, EU, UK and JP ledgers plus multi-currency).
    public static let currencies: Set<String> = [
        "USD", "EUR", "GBP", "JPY", "AUD", "CHF", "DKK", "HKD", "NOK", "NZD", "SEK", "ZAR",
    ]
    /// The reasons a refused Charge is the processor's problem, not the buyer's: retriable at another gateway.
    static let processorReasons: Set<String> = ["ProcessingFailure", "TransactionTimedOut", "ServiceUnavailable"]

    public let name: String
    public let region: Region
    /// `https://pay-api.amazon.com`, or the override.
    public let baseURL: String
    /// `/sandbox/v2`, `/live/v2`, or `/v2` for environment-prefixed keys.
    public let pathPrefix: String
    let signer: AmazonPaySigner
    let http: HTTPClient
    let timeout: Duration
    /// How often and how long a `CaptureInitiated` Charge is read back before the payment is left `processing`.
    let capturePolls: Int
    let capturePollInterval: Duration

    /// - Throws: `GatewayError.invalidRequest` when the key cannot be read.
    public init(
        name: String = "amazon_pay", publicKeyID: String, privateKeyPEM: String, region: Region = .us,
        sandbox: Bool = true, baseURL: String? = nil, http: HTTPClient, timeout: Duration, capturePolls: Int = 10,
        capturePollInterval: Duration = .milliseconds(200)
    ) throws(GatewayError) {
        self.name = name
        self.region = region
        self.signer = try AmazonPaySigner(publicKeyID: publicKeyID, privateKeyPEM: privateKeyPEM)
        let base = baseURL ?? "https://\(region.host)"
        self.baseURL = base.hasSuffix("/") ? String(base.dropLast()) : base
        let prefixed = publicKeyID.hasPrefix("SANDBOX-") || publicKeyID.hasPrefix("LIVE-")
        self.pathPrefix = prefixed ? "/v2" : (sandbox ? "/sandbox/v2" : "/live/v2")
        self.http = http
        self.timeout = timeout
        self.capturePolls = capturePolls
        self.capturePollInterval = capturePollInterval
    }

    public func accepts(_ method: PaymentMethodDetails, currency: Currency) -> Bool {
        (method.type == .card || method.type == .wallet) && method.tokens["amazon_pay"] != nil
            && Self.currencies.contains(currency.code)
    }

    public func charge(_ charge: ChargeRequest) async throws(GatewayError) -> ChargeResult {
        guard let permission = charge.method.tokens["amazon_pay"] else {
            throw GatewayError(.invalidRequest, gateway: name, message: "the payment method has no charge permission")
        }
        let price = Self.price(charge.money)
        var body: [String: JSONValue] = [
            "chargePermissionId": .string(permission), "chargeAmount": price, "captureNow": .bool(false),
            "canHandlePendingAuthorization": .bool(false),
            "merchantMetadata": .object(["merchantReferenceId": .string(charge.paymentID)]),
        ]
        if let description = charge.description {
            body["merchantMetadata"] = .object([
                "merchantReferenceId": .string(charge.paymentID),
                "customInformation": .string(String(description.prefix(4096))),
            ])
        }
        let (status, created) = try await send(
            "POST", "/charges", body: .object(body), idempotencyKey: charge.idempotencyKey)
        if let declined = try outcome(status, created) { return declined }
        return try await advance(created, price: price, idempotencyKey: charge.idempotencyKey)
    }

    /// Moves an authorised Charge on to captured, and reads a capture in flight back until it lands.
    func advance(_ charge: JSONValue, price: JSONValue, idempotencyKey: String) async throws(GatewayError)
        -> ChargeResult
    {
        var charge = charge
        for poll in 0...capturePolls {
            let (id, state, reason) = try details(of: charge)
            switch state {
            case "Captured", "Completed":
                return .succeeded(reference: id)
            case "Authorized":
                let (status, captured) = try await send(
                    "POST", "/charges/\(PercentEncoding.encode(id))/capture",
                    body: .object(["captureAmount": price]), idempotencyKey: idempotencyKey + ":capture")
                if let declined = try outcome(status, captured) { return declined }
                charge = captured
                continue
            case "CaptureInitiated", "AuthorizationInitiated":
                if poll == capturePolls { return .processing(reference: id) }
                try? await Task.sleep(for: capturePollInterval)
                let (status, read) = try await send("GET", "/charges/\(PercentEncoding.encode(id))")
                _ = try outcome(status, read)
                charge = read
            case "Declined":
                return try declined(reference: id, reason: reason ?? "Declined", message: "the charge was declined")
            case "Canceled":
                return .declined(
                    reference: id, code: "canceled", message: "the charge was canceled (\(reason ?? "no reason"))")
            default:
                throw GatewayError(.processorError, gateway: name, message: "unexpected Charge state \(state)")
            }
        }
        let (id, _, _) = try details(of: charge)
        return .processing(reference: id)
    }

    /// The Charge as Amazon Pay holds it (`GET charges/{chargeId}`), for reconciliation.
    public func charge(id: String) async throws(GatewayError) -> JSONValue {
        let (status, body) = try await send("GET", "/charges/\(PercentEncoding.encode(id))")
        try requireSuccess(status, body)
        return body
    }

    public func refund(reference: String, amount: Money, idempotencyKey: String) async throws(GatewayError) -> String {
        let (status, body) = try await send(
            "POST", "/refunds",
            body: .object(["chargeId": .string(reference), "refundAmount": Self.price(amount)]),
            idempotencyKey: idempotencyKey)
        try requireSuccess(status, body)
        if body["statusDetails"]?["state"]?.stringValue == "Declined" {
            throw GatewayError(
                .invalidRequest, gateway: name, code: body["statusDetails"]?["reasonCode"]?.stringValue,
                message: "the refund was declined")
        }
        guard let id = body["refundId"]?.stringValue else {
            throw GatewayError(.processorError, gateway: name, message: "a Refund without a refundId")
        }
        return id
    }

    public func cancel(reference: String, idempotencyKey: String) async throws(GatewayError) {
        let (status, body) = try await send(
            "DELETE", "/charges/\(PercentEncoding.encode(reference))/cancel",
            body: .object(["cancellationReason": .string("canceled by the merchant through SmartPay")]))
        try requireSuccess(status, body)
    }

    /// A price object: `{"amount": "14.00", "currencyCode": "USD"}`, the amount in major units as a decimal string.
    static func price(_ money: Money) -> JSONValue {
        .object(["amount": .string(decimal(money)), "currencyCode": .string(money.currency.code)])
    }

    public static func decimal(_ money: Money) -> String {
        DecimalText.format(money.minorUnits, decimals: money.currency.exponent)
    }

    func details(of charge: JSONValue) throws(GatewayError) -> (String, String, String?) {
        guard let id = charge["chargeId"]?.stringValue, let state = charge["statusDetails"]?["state"]?.stringValue
        else {
            throw GatewayError(.processorError, gateway: name, message: "a Charge without chargeId or state")
        }
        return (id, state, charge["statusDetails"]?["reasonCode"]?.stringValue)
    }

    /// nil for a success; a `.declined` result for a buyer-side refusal (`422 HardDeclined` …); else throws.
    func outcome(_ status: Int, _ body: JSONValue) throws(GatewayError) -> ChargeResult? {
        if status == 422, let reason = body["reasonCode"]?.stringValue {
            return try declined(reference: nil, reason: reason, message: body["message"]?.stringValue)
        }
        try requireSuccess(status, body)
        return nil
    }

    func declined(reference: String?, reason: String, message: String?) throws(GatewayError) -> ChargeResult {
        if Self.processorReasons.contains(reason) {
            throw GatewayError(
                .processorError, gateway: name, code: reason, message: message ?? "Amazon Pay could not process it")
        }
        return .declined(reference: reference, code: Self.snakeCase(reason), message: message ?? "declined")
    }

    func requireSuccess(_ status: Int, _ body: JSONValue) throws(GatewayError) {
        guard (200..<300).contains(status) else {
            let code = body["reasonCode"]?.stringValue ?? "http_\(status)"
            let message = body["message"]?.stringValue ?? "HTTP \(status)"
            // 400, 404, 409 and 422: what we sent is wrong here; 401/403 (signature, keys), 429 and 5xx: the
            // processor's side, retriable at another gateway.
            let kind: GatewayError.Kind = [400, 404, 409, 422].contains(status) ? .invalidRequest : .processorError
            throw GatewayError(kind, gateway: name, code: code, message: message)
        }
    }

    /// `HardDeclined` → `hard_declined`.
    static func snakeCase(_ text: String) -> String {
        var result = ""
        for character in text {
            if character.isUppercase, !result.isEmpty { result.append("_") }
            result.append(contentsOf: character.lowercased())
        }
        return result
    }

    func send(_ method: String, _ path: String, body: JSONValue? = nil, idempotencyKey: String? = nil)
        async throws(GatewayError) -> (Int, JSONValue)
    {
        let fullPath = pathPrefix + path
        let bytes = body.map { $0.serialized() } ?? []
        var signed: [(String, String)] = [
            ("accept", "application/json"), ("content-type", "application/json"),
            ("x-amz-pay-date", Timestamp.now().basicFormat), ("x-amz-pay-host", Self.host(of: baseURL)),
            ("x-amz-pay-region", region.rawValue),
        ]
        if let idempotencyKey { signed.append(("x-amz-pay-idempotency-key", idempotencyKey)) }
        let authorization = try signer.authorization(
            method: method, path: fullPath, query: [], headers: signed, body: bytes)
        let request = HTTPClientRequest(
            method: method, url: baseURL + fullPath, headers: signed + [("authorization", authorization)],
            body: body == nil ? nil : bytes, timeout: timeout)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw GatewayError(error, gateway: name)
        }
        let json = (try? JSONParser().parse(response.body)) ?? .null
        if response.status >= 500 || response.status == 429 || json.isNull {
            throw GatewayError(
                .processorError, gateway: name, code: json["reasonCode"]?.stringValue ?? "http_\(response.status)",
                message: json["message"]?.stringValue ?? String(response.bodyText.prefix(200)))
        }
        return (response.status, json)
    }

    /// `pay-api.amazon.com`, or `127.0.0.1:8421` for a base URL with a port.
    static func host(of url: String) -> String {
        var rest = Substring(url)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        return String(rest.prefix { $0 != "/" })
    }
}
