import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// The payment flow and the actions on a payment. One instance per process, shared by its invocations.
public struct PayService: Sendable {
    public static let eventSource = PaymentEventSource.pay

    public let store: any PaymentStore
    public let gateways: GatewayRegistry
    public let risk: any RiskAssessor
    public let router: any GatewayRouter
    public let compliance: Compliance
    public let settings: PaySettings

    public init(
        store: any PaymentStore, gateways: GatewayRegistry, risk: any RiskAssessor, router: any GatewayRouter,
        compliance: Compliance = Compliance(), settings: PaySettings = PaySettings()
    ) {
        self.store = store
        self.gateways = gateways
        self.risk = risk
        self.router = router
        self.compliance = compliance
        self.settings = settings
    }

    // MARK: - POST /pay

    /// Validate (done by the caller) → idempotency → compliance → fraud → route → charge with failover → one
    /// atomic write of the state, its event and the idempotency outcome → answer.
    public func pay(_ request: PaymentRequest, caller: Caller, requestID: String, logger: Logger) async throws
        -> PayAnswer
    {
        try await idempotently(request, caller: caller, requestID: requestID) { paymentID, completing in
            try await run(request, paymentID: paymentID, caller: caller, completing: completing, logger: logger)
        }
    }

    /// The flow of one new payment, each step in its own file: every step that ends the payment (a limit, a risk
    /// decline, no gateway, a review hold) writes it through the outbox at once.
    func run(
        _ request: PaymentRequest, paymentID: String, caller: Caller, completing: IdempotencyRecord?, logger: Logger
    ) async throws -> Payment {
        let (merchant, customer) = try await profiles(of: request)
        var payment = try newPayment(request, id: paymentID, merchant: merchant, caller: caller)
        func end() async throws -> Payment {
            try await finish(&payment, expectedVersion: 0, completing: completing, caller: caller)
        }
        guard try await checkCompliance(&payment, request: request, customer: customer) else { return try await end() }
        guard try await assessRisk(&payment, request: request, merchant: merchant) else { return try await end() }
        guard let order = try await gatewayOrder(&payment, request: request, merchant: merchant, logger: logger) else {
            return try await end()
        }
        try payment.transition(to: .processing, actor: caller.actor, reason: "checks passed; charging")
        guard try holdForReview(&payment) == false else { return try await end() }
        // The record is written before the first gateway call: a crash after it is found, never charged twice.
        payment = try await store.commit(payment, expectedVersion: 0, events: [], completing: nil)
        let written = payment.version
        await charge(&payment, order: order, logger: logger)
        return try await finish(&payment, expectedVersion: written, completing: completing, caller: caller)
    }

    func defaultMerchant(_ id: String) -> MerchantProfile {
        MerchantProfile(
            id: id, feeBasisPoints: settings.defaultFeeBasisPoints, feeFixed: settings.defaultFeeFixed,
            highRisk: settings.defaultHighRisk)
    }
}
