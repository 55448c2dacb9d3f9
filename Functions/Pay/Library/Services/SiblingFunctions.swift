import FunctionKit
import SmartPayCore
import SmartPayInvoke

/// The fraud seam: a risk verdict for a payment about to be charged.
public protocol RiskAssessor: Sendable {
    func assess(_ payment: Payment, request: PaymentRequest) async throws -> Payment.Risk
}

/// The routing seam: which gateway to try first, and which next.
public protocol GatewayRouter: Sendable {
    func route(_ payment: Payment, request: PaymentRequest, candidates: [String], country: String, category: String?)
        async throws -> RouteChoice
}

public struct RouteChoice: Sendable, Equatable {
    public var decisionID: String?
    public var gateway: String
    public var fallbacks: [String]

    public init(decisionID: String?, gateway: String, fallbacks: [String]) {
        self.decisionID = decisionID
        self.gateway = gateway
        self.fallbacks = fallbacks
    }
}

/// Calls the fraud and route functions through the Lambda Invoke API: the local runtime's endpoint under
/// `smartpay serve`, AWS's in the cloud. A sibling that cannot be reached, or fails, is `unavailable` (503): the
/// payment is not charged and its idempotency key is freed for a retry.
public struct InvokedSiblings: RiskAssessor, GatewayRouter {
    public let invoker: LambdaInvoker
    public let fraudFunction: String
    public let routeFunction: String
    public let timeout: Duration

    public init(
        invoker: LambdaInvoker, fraudFunction: String = "fraud", routeFunction: String = "route",
        timeout: Duration = .seconds(3)
    ) {
        self.invoker = invoker
        self.fraudFunction = fraudFunction
        self.routeFunction = routeFunction
        self.timeout = timeout
    }

    public func assess(_ payment: Payment, request: PaymentRequest) async throws -> Payment.Risk {
        var transaction: [String: JSONValue] = [
            "transaction_id": .string(payment.id), "amount": .number(String(payment.amount)),
            "currency": .string(payment.currency.code), "customer_id": .string(payment.customerID),
            "terminal_id": .string(payment.merchantID), "timestamp": .string(payment.created.description),
        ]
        // The token stands in for the card: the same card gives the same token at one gateway.
        if let token = payment.paymentMethod.tokens.sorted(by: { $0.key < $1.key }).first?.value {
            transaction["card_fingerprint"] = .string(token)
        }
        if let ip = request.ip { transaction["ip"] = .string(ip) }
        if let device = request.deviceID { transaction["device_id"] = .string(device) }
        if let country = request.country { transaction["billing_country"] = .string(country) }
        let verdict = try await call(fraudFunction, .object(transaction))
        guard case .number(let scoreText)? = verdict["score"], let score = Double(scoreText),
            let tierText = verdict["tier"]?.stringValue, let tier = RiskTier(rawValue: tierText)
        else {
            throw FunctionError(.unavailable, "the fraud function answered without a score and tier")
        }
        var reasons: [String] = []
        if case .array(let items)? = verdict["reasons"] {
            reasons = items.compactMap { $0["code"]?.stringValue ?? $0.stringValue }
        }
        return Payment.Risk(score: score, tier: tier, decision: verdict["decision"]?.stringValue, reasons: reasons)
    }

    public func route(
        _ payment: Payment, request: PaymentRequest, candidates: [String], country: String, category: String?
    ) async throws -> RouteChoice {
        var context: [String: JSONValue] = [
            "amount_minor": .number(String(payment.amount)), "currency": .string(payment.currency.code),
            "method": .string(payment.paymentMethod.routeMethod), "country": .string(country),
            "hour": .number(String(Self.hour(of: payment.created))),
        ]
        if let network = payment.paymentMethod.network { context["card_network"] = .string(network) }
        if let category { context["merchant_category"] = .string(category) }
        if let risk = payment.risk {
            context["risk_score"] = .number(String(min(max(risk.score, 0), 1)))
            context["risk_tier"] = .string(risk.tier.rawValue)
        }
        let answer = try await call(
            routeFunction,
            .object([
                "context": .object(context), "gateways": .array(candidates.map(JSONValue.string)),
                "idempotency_key": .string(payment.id),
            ]))
        guard let gateway = answer["gateway"]?.stringValue else {
            throw FunctionError(.unavailable, "the route function answered without a gateway")
        }
        var fallbacks: [String] = []
        if case .array(let items)? = answer["fallbacks"] { fallbacks = items.compactMap(\.stringValue) }
        return RouteChoice(decisionID: answer["decision_id"]?.stringValue, gateway: gateway, fallbacks: fallbacks)
    }

    static func hour(of time: Timestamp) -> Int {
        Int(floorDivide(time.millisecondsSinceEpoch, 3_600_000) % 24)
    }

    func call(_ function: String, _ payload: JSONValue) async throws -> JSONValue {
        let result: LambdaInvoker.Result
        do {
            result = try await invoker.invoke(function, payload: payload.serialized(), timeout: timeout)
        } catch {
            throw FunctionError(.unavailable, "the \(function) function could not be invoked: \(error.description)")
        }
        let answer = (try? JSONParser().parse(result.payload)) ?? .null
        if result.functionError != nil {
            let message = answer["errorMessage"]?.stringValue ?? "failed"
            throw FunctionError(.unavailable, "the \(function) function failed: \(message)")
        }
        return answer
    }
}
