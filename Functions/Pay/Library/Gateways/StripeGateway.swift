import SmartPayCore
import SmartPayHTTP

/// Stripe's REST API: PaymentIntents created and confirmed in one call, refunds, cancels.
///
/// Form-encoded bodies, `Authorization: Bearer {STRIPE_API_KEY}`, an `Idempotency-Key` on every POST (Stripe keeps
/// them 24 hours, so a retried attempt returns the first attempt's PaymentIntent instead of charging again). The
/// base URL is `STRIPE_API_BASE` (default `https://api.stripe.com`), which the tests and `smartpay serve` point at
/// localstripe on loopback.
///
/// Where localstripe departs from Stripe's documentation we follow the documentation: it ignores `Idempotency-Key`
/// (we send it anyway; the concurrency guarantee is ours, in `IdempotencyStore`, and does not lean on it); it
/// answers a decline with `type: invalid_request_error` where Stripe says `card_error` (we map by `code` and
/// `decline_code`, never by type); confirming with a `payment_method` parameter is "Not implemented" there, so we
/// create with `payment_method` and `confirm=true`, which is also Stripe's one-call flow.
public struct StripeGateway: PaymentGateway {
    /// Which server answers: Stripe itself, or localstripe, which refuses parameters it does not model.
    public enum Dialect: String, Sendable {
        case stripe
        /// localstripe's PaymentIntent refuses `description` ("Unexpected description", 400): it is left out.
        case localstripe
    }

    /// `stripe` in the catalogue; another name for a second Stripe account (a region's, a backup's).
    public let name: String
    public let baseURL: String
    public let dialect: Dialect
    let apiKey: String
    let http: HTTPClient
    let timeout: Duration

    public init(
        name: String = "stripe", apiKey: String, baseURL: String = "https://api.stripe.com", dialect: Dialect = .stripe,
        http: HTTPClient,
        timeout: Duration
    ) {
        self.name = name
        self.apiKey = apiKey
        self.dialect = dialect
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.http = http
        self.timeout = timeout
    }

    public func accepts(_ method: PaymentMethodDetails, currency: Currency) -> Bool {
        (method.type == .card || method.type == .wallet) && method.tokens["stripe"] != nil && currency.isISO4217
    }

    public func charge(_ charge: ChargeRequest) async throws(GatewayError) -> ChargeResult {
        guard let token = charge.method.tokens["stripe"] else {
            throw GatewayError(.invalidRequest, gateway: name, message: "the payment method has no Stripe token")
        }
        var form: [(String, String)] = [
            ("amount", String(charge.money.minorUnits)), ("currency", charge.money.currency.code.lowercased()),
            ("payment_method", token), ("confirm", "true"), ("payment_method_types[]", "card"),
            ("metadata[smartpay_payment_id]", charge.paymentID), ("metadata[merchant_id]", charge.merchantID),
            ("metadata[customer_id]", charge.customerID),
        ]
        if let description = charge.description, dialect == .stripe { form.append(("description", description)) }
        let (status, body) = try await post("/v1/payment_intents", form: form, idempotencyKey: charge.idempotencyKey)
        if status == 402 || (status == 400 && Self.isCardError(body)) {
            let error = body["error"]
            let intent = error?["payment_intent"]?["id"]?.stringValue
            let code = error?["decline_code"]?.stringValue ?? error?["code"]?.stringValue ?? "card_declined"
            return .declined(
                reference: intent, code: code, message: error?["message"]?.stringValue ?? "the card was declined")
        }
        try requireSuccess(status, body)
        return try Self.result(of: body, gateway: name)
    }

    public func refund(reference: String, amount: Money, idempotencyKey: String) async throws(GatewayError) -> String {
        let (status, body) = try await post(
            "/v1/refunds", form: [("payment_intent", reference), ("amount", String(amount.minorUnits))],
            idempotencyKey: idempotencyKey)
        try requireSuccess(status, body)
        guard let id = body["id"]?.stringValue else {
            throw GatewayError(.processorError, gateway: name, message: "a refund without an id")
        }
        return id
    }

    public func cancel(reference: String, idempotencyKey: String) async throws(GatewayError) {
        let path = "/v1/payment_intents/\(Self.formEncode(reference))/cancel"
        let (status, body) = try await post(path, form: [], idempotencyKey: idempotencyKey)
        try requireSuccess(status, body)
    }

    /// A PaymentIntent's status in our terms.
    static func result(of intent: JSONValue, gateway: String) throws(GatewayError) -> ChargeResult {
        guard let id = intent["id"]?.stringValue, let status = intent["status"]?.stringValue else {
            throw GatewayError(.processorError, gateway: gateway, message: "a PaymentIntent without id or status")
        }
        switch status {
        case "succeeded", "requires_capture":
            return .succeeded(reference: id)
        case "requires_action":
            var action: [String: JSONValue] = ["type": .string("stripe_sdk")]
            if let next = intent["next_action"] { action["stripe"] = next }
            if let secret = intent["client_secret"] { action["client_secret"] = secret }
            return .requiresAction(reference: id, nextAction: .object(action))
        case "processing":
            return .processing(reference: id)
        case "requires_payment_method":
            let error = intent["last_payment_error"]
            return .declined(
                reference: id,
                code: error?["decline_code"]?.stringValue ?? error?["code"]?.stringValue ?? "card_declined",
                message: error?["message"]?.stringValue ?? "the payment method was declined")
        default:
            throw GatewayError(.processorError, gateway: gateway, message: "unexpected PaymentIntent status \(status)")
        }
    }

    static func isCardError(_ body: JSONValue) -> Bool {
        guard let error = body["error"] else { return false }
        if error["type"]?.stringValue == "card_error" { return true }
        let code = error["code"]?.stringValue ?? ""
        return ["card_declined", "insufficient_funds", "expired_card", "incorrect_cvc", "processing_error"]
            .contains(code)
    }

    func requireSuccess(_ status: Int, _ body: JSONValue) throws(GatewayError) {
        guard (200..<300).contains(status) else {
            let error = body["error"]
            let code = error?["code"]?.stringValue
            let message = error?["message"]?.stringValue ?? "HTTP \(status)"
            // 400/404: the request was wrong (a bad token); 401/403 (keys), 409, 429 and 5xx: the processor's side.
            let kind: GatewayError.Kind = [400, 404].contains(status) ? .invalidRequest : .processorError
            throw GatewayError(kind, gateway: name, code: code ?? "http_\(status)", message: message)
        }
    }

    func post(_ path: String, form: [(String, String)], idempotencyKey: String) async throws(GatewayError)
        -> (Int, JSONValue)
    {
        let body = form.map { Self.formEncode($0.0) + "=" + Self.formEncode($0.1) }.joined(separator: "&")
        let request = HTTPClientRequest(
            method: "POST", url: baseURL + path,
            headers: [
                ("Authorization", "Bearer " + apiKey), ("Content-Type", "application/x-www-form-urlencoded"),
                ("Idempotency-Key", idempotencyKey),
            ],
            body: Array(body.utf8), timeout: timeout)
        let response: HTTPClientResponse
        do {
            response = try await http.execute(request)
        } catch {
            throw GatewayError(error, gateway: name)
        }
        let json = (try? JSONParser().parse(response.body)) ?? .null
        if response.status >= 500 || (json.isNull && (200..<300).contains(response.status)) {
            throw GatewayError(
                .processorError, gateway: name, code: "http_\(response.status)",
                message: String(response.bodyText.prefix(200)))
        }
        return (response.status, json)
    }

    /// `application/x-www-form-urlencoded`: RFC 3986's unreserved characters as they are, the rest percent-encoded.
    static func formEncode(_ text: String) -> String { PercentEncoding.encode(text) }
}
