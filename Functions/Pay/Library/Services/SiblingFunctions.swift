import FunctionKit
import SmartPayContracts
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
        // The token stands in for the card: the same card gives the same token at one gateway.
        let token = payment.paymentMethod.tokens.sorted(by: { $0.key < $1.key }).first?.value
        let verdict = try await call(
            fraudFunction,
            FraudRequest(
                transactionID: payment.id, money: payment.money, timestamp: payment.created,
                customerID: payment.customerID, terminalID: payment.merchantID, cardFingerprint: token,
                billingCountry: request.country, ip: request.ip, deviceID: request.deviceID))
        return Payment.Risk(
            score: verdict.score, tier: verdict.tier, decision: verdict.decision.rawValue,
            reasons: verdict.reasons.map(\.code))
    }

    public func route(
        _ payment: Payment, request: PaymentRequest, candidates: [String], country: String, category: String?
    ) async throws -> RouteChoice {
        let context = RouteRequestContext(
            money: payment.money, method: payment.paymentMethod.routeMethod, country: country,
            hour: Self.hour(of: payment.created), cardNetwork: payment.paymentMethod.network,
            merchantCategory: category, riskScore: payment.risk.map { min(max($0.score, 0), 1) },
            riskTier: payment.risk?.tier)
        let decision = try await call(
            routeFunction, RouteRequest(context: context, gateways: candidates, idempotencyKey: payment.id))
        return RouteChoice(decisionID: decision.decisionID, gateway: decision.gateway, fallbacks: decision.fallbacks)
    }

    static func hour(of time: Timestamp) -> Int {
        Int(floorDivide(time.millisecondsSinceEpoch, 3_600_000) % 24)
    }

    /// Invokes `function` with a call and reads its answer: a generic shell around the non-generic async invoke
    /// (a generic async function with typed throws crashed the release build's coroutine splitting; kept apart here
    /// too).
    func call<Call: FunctionCall>(_ function: String, _ request: Call) async throws -> Call.Answer {
        let answer = try await invoke(function, try request.payload().serialized())
        do {
            return try JSONValueDecoder(allowsUnknownKeys: true).decode(Call.Answer.self, from: answer)
        } catch {
            throw FunctionError(.unavailable, "the \(function) function's answer to \(Call.action): \(error)")
        }
    }

    func invoke(_ function: String, _ payload: [UInt8]) async throws(FunctionError) -> [UInt8] {
        let result: LambdaInvoker.Result
        do {
            result = try await invoker.invoke(function, payload: payload, timeout: timeout)
        } catch {
            throw FunctionError(.unavailable, "the \(function) function could not be invoked: \(error)")
        }
        if result.functionError != nil {
            let answer = (try? JSONParser().parse(result.payload)) ?? .null
            let message = answer["errorMessage"]?.stringValue ?? "failed"
            throw FunctionError(.unavailable, "the \(function) function failed: \(message)")
        }
        return result.payload
    }
}
