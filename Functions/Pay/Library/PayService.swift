import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// Settings of the pay function that are not a seam.
public struct PaySettings: Sendable {
    /// The fee of a merchant without a profile.
    public var defaultFeeBasisPoints: Int64 = 290
    public var defaultFeeFixed: Int64 = 30
    public var defaultHighRisk: MerchantProfile.HighRiskPolicy = .decline
    /// The country routing assumes when neither the request nor the merchant names one.
    public var defaultCountry = "US"
    /// How long a retry waits for the first request with its idempotency key before answering 409.
    public var idempotencyWait: Duration = .seconds(8)

    public init() {}

    public init(configuration: FunctionConfiguration) throws(FunctionError) {
        defaultFeeBasisPoints = Int64(try configuration.integer("PAY_FEE_BPS", default: 290))
        defaultFeeFixed = Int64(try configuration.integer("PAY_FEE_FIXED", default: 30))
        guard defaultFeeBasisPoints >= 0, defaultFeeBasisPoints <= 10_000, defaultFeeFixed >= 0 else {
            throw FunctionError(.invalidRequest, "PAY_FEE_BPS must be 0–10000 and PAY_FEE_FIXED not negative")
        }
        if let policy = configuration.string("PAY_HIGH_RISK") {
            guard let parsed = MerchantProfile.HighRiskPolicy(rawValue: policy) else {
                throw FunctionError(.invalidRequest, "PAY_HIGH_RISK: expected decline or review, got \(policy)")
            }
            defaultHighRisk = parsed
        }
        if let country = configuration.string("PAY_DEFAULT_COUNTRY") { defaultCountry = country }
        idempotencyWait = .milliseconds(try configuration.integer("PAY_IDEMPOTENCY_WAIT_MS", default: 8000))
    }
}

/// What the caller gets back: a JSON body and its HTTP status, and whether it was replayed from an idempotency key.
public struct PayAnswer: Sendable {
    public var status: Int
    public var body: JSONValue
    public var replayed: Bool
}

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
        let paymentID = Identifier.random(prefix: "pay").rawValue
        guard let key = request.idempotencyKey else {
            do {
                let payment = try await run(
                    request, paymentID: paymentID, caller: caller, completing: nil, logger: logger)
                return PayAnswer(status: 201, body: PaymentView.render(payment, for: caller), replayed: false)
            } catch {
                await undo(request, paymentID: paymentID, claim: nil)
                throw error
            }
        }
        let claim = IdempotencyRecord(
            scope: caller.idempotencyScope(merchantID: request.merchantID), key: key, state: .inProgress,
            fingerprint: request.fingerprint, parameters: request.parameters, requestID: requestID,
            paymentID: paymentID)
        if let existing = try await storeCall({ try await store.beginIdempotent(claim) }) {
            return try await replay(existing, claim: claim)
        }
        do {
            var done = claim
            done.state = .completed
            done.httpStatus = 201
            let payment = try await run(request, paymentID: paymentID, caller: caller, completing: done, logger: logger)
            return PayAnswer(status: 201, body: PaymentView.render(payment, for: caller), replayed: false)
        } catch {
            await undo(request, paymentID: paymentID, claim: claim)
            throw error
        }
    }

    /// After a failed request: when no record of the payment was written, nothing was charged (the record is
    /// written before the first gateway call), so the spending reservation and the idempotency key are freed and
    /// a retry runs afresh. When a record exists, both stay: the retry waits for, or finds, that payment.
    func undo(_ request: PaymentRequest, paymentID: String, claim: IdempotencyRecord?) async {
        let written: Payment?
        do {
            written = try await store.load(paymentID)
        } catch {
            return
        }
        guard written == nil else { return }
        try? await store.releaseSpend(customerID: request.customerID, money: request.money, paymentID: paymentID)
        if let claim {
            try? await store.releaseIdempotent(scope: claim.scope, key: claim.key, requestID: claim.requestID)
        }
    }

    /// The answer for a key that was used before: the stored answer, or a wait for the first request.
    func replay(_ existing: IdempotencyRecord, claim: IdempotencyRecord) async throws -> PayAnswer {
        guard existing.fingerprint == claim.fingerprint else {
            let field = PaymentRequest.difference(existing.parameters, claim.parameters) ?? "the parameters"
            throw FunctionError(
                .idempotencyError,
                "Idempotency-Key \(claim.key) was used with different parameters (\(field) differs); use a new key for a new payment",
                field: field)
        }
        var record = existing
        let deadline = ContinuousClock.now + settings.idempotencyWait
        while record.state == .inProgress {
            guard ContinuousClock.now < deadline else {
                throw FunctionError(
                    .idempotencyInProgress,
                    "the first request with Idempotency-Key \(claim.key) is still running; retry in a moment")
            }
            try await Task.sleep(for: .milliseconds(20))
            guard
                let fresh = try await storeCall({
                    try await store.idempotencyRecord(scope: claim.scope, key: claim.key)
                })
            else {
                // The first request failed before charging and freed the key: this one may run it now.
                throw FunctionError(
                    .unavailable, "the first request with Idempotency-Key \(claim.key) failed before charging; retry it"
                )
            }
            record = fresh
        }
        return PayAnswer(status: record.httpStatus ?? 200, body: record.response ?? .null, replayed: true)
    }

    func run(
        _ request: PaymentRequest, paymentID: String, caller: Caller, completing: IdempotencyRecord?, logger: Logger
    ) async throws -> Payment {
        let now = Timestamp.now()
        // The two profiles in parallel: two round trips on the hot path, not one after the other.
        async let merchantProfile = storeCall { try await store.merchant(request.merchantID) }
        async let customerProfile = storeCall { try await store.customer(request.customerID) }
        let merchant = try await merchantProfile ?? defaultMerchant(request.merchantID)
        let fee: Int64
        do {
            fee = try merchant.fee(on: request.money)
        } catch {
            throw FunctionError.validation("amount", error.description)
        }
        var payment = Payment(
            id: paymentID, status: .requiresPaymentMethod, amount: request.money.minorUnits,
            currency: request.money.currency, customerID: request.customerID, merchantID: request.merchantID,
            paymentMethod: request.paymentMethod, description: request.description, metadata: request.metadata,
            gateway: nil, decisionID: nil, risk: nil, flagged: false, nextAction: nil, failure: nil, fee: fee,
            net: request.money.minorUnits - fee, amountRefunded: 0, gatewayReference: nil,
            idempotencyKey: request.idempotencyKey, attempts: [], refunds: [],
            history: [
                Payment.Transition(
                    from: nil, to: .requiresPaymentMethod, at: now, actor: caller.actor, reason: "created")
            ], created: now, updated: now, version: 0)
        payment.merchantCategory = merchant.category

        // Compliance: the customer's KYC level and limits. Over a limit the payment fails; nothing is charged.
        let level = try await customerProfile?.kycLevel ?? compliance.defaultLevel
        guard let limits = compliance.limits(level: level, currency: request.money.currency) else {
            try payment.fail(
                "kyc_level_unknown", "the customer's KYC level \(level) has no limits configured", source: "compliance")
            return try await finish(&payment, expectedVersion: 0, completing: completing, caller: caller)
        }
        let check = try await storeCall {
            try await store.reserveSpend(
                customerID: request.customerID, money: request.money, paymentID: paymentID, limits: limits, now: now)
        }
        switch check {
        case .reserved:
            break
        case .overTransactionLimit(let limit):
            try payment.fail(
                "transaction_limit_exceeded",
                "\(request.money) is over the \(level) KYC level's per-transaction limit of \(Money(minorUnits: limit, currency: request.money.currency))",
                source: "compliance")
            return try await finish(&payment, expectedVersion: 0, completing: completing, caller: caller)
        case .overDailyLimit(let limit, let spent):
            let currency = request.money.currency
            try payment.fail(
                "daily_limit_exceeded",
                "\(request.money) would bring the last 24 hours to \(Money(minorUnits: spent + request.money.minorUnits, currency: currency)), over the \(level) KYC level's limit of \(Money(minorUnits: limit, currency: currency))",
                source: "compliance")
            return try await finish(&payment, expectedVersion: 0, completing: completing, caller: caller)
        }

        // Fraud and route: if either cannot answer, nothing has happened yet: undo the reservation and say so.
        let verdict = try await risk.assess(payment, request: request)
        payment.risk = verdict
        payment.flagged = verdict.tier == .medium
        if verdict.tier == .high && merchant.highRisk == .decline {
            try payment.fail(
                "fraud_declined", "declined by risk checks (score \(verdict.score), tier high)", source: "fraud")
            return try await finish(&payment, expectedVersion: 0, completing: completing, caller: caller)
        }

        let candidates = gateways.candidates(for: request.paymentMethod, currency: request.money.currency)
        guard !candidates.isEmpty else {
            try payment.fail(
                "no_gateway",
                "no configured gateway can charge a \(request.paymentMethod.type.rawValue) payment in \(request.money.currency.code)",
                source: "platform")
            return try await finish(&payment, expectedVersion: 0, completing: completing, caller: caller)
        }
        let country = request.country ?? merchant.country ?? settings.defaultCountry
        var order: [String]
        if request.paymentMethod.type == .rewards {
            order = candidates  // one way to pay with rewards: nothing to route
        } else {
            do {
                let choice = try await router.route(
                    payment, request: request, candidates: candidates, country: country, category: merchant.category)
                payment.decisionID = choice.decisionID
                order = [choice.gateway] + choice.fallbacks
            } catch {
                // Routing is an optimisation: without it, the candidates in their fixed order.
                logger.warning("route unavailable, static order", metadata: ["error": .string("\(error)")])
                order = candidates
            }
        }
        order = order.reduce(into: []) { list, name in
            if candidates.contains(name) && !list.contains(name) { list.append(name) }
        }
        if order.isEmpty { order = candidates }

        try payment.transition(to: .processing, actor: caller.actor, reason: "checks passed; charging")
        if verdict.tier == .high {
            // The merchant's policy holds high-risk payments for review instead of declining them.
            try payment.transition(
                to: .requiresAction, actor: "fraud", reason: "high risk: held for the merchant's review")
            payment.nextAction = .object(["type": .string("risk_review")])
            return try await finish(&payment, expectedVersion: 0, completing: completing, caller: caller)
        }
        payment = try await storeCall {
            try await store.commit(payment, expectedVersion: 0, events: [], completing: nil)
        }
        let written = payment.version
        await charge(&payment, order: order, logger: logger)
        return try await finish(&payment, expectedVersion: written, completing: completing, caller: caller)
    }

    /// Tries the gateways in order until one answers for the customer; a processor error or timeout moves on,
    /// a decline ends it. A timed-out attempt is asked once more with the same idempotency key first, so that a
    /// charge that did happen is found instead of made again elsewhere.
    func charge(_ payment: inout Payment, order: [String], logger: Logger) async {
        var lastError: GatewayError?
        for name in order {
            guard let gateway = gateways[name] else { continue }
            let number = payment.attempts.count + 1
            let key = "\(payment.id):attempt:\(number)"
            let request = ChargeRequest(
                paymentID: payment.id, idempotencyKey: key, money: payment.money, method: payment.paymentMethod,
                customerID: payment.customerID, merchantID: payment.merchantID, description: payment.description)
            payment.gateway = name
            let started = ContinuousClock.now
            var result: Result<ChargeResult, GatewayError>
            do {
                result = .success(try await gateway.charge(request))
            } catch {
                result = .failure(error)
            }
            if case .failure(let error) = result, error.kind == .timeout {
                do { result = .success(try await gateway.charge(request)) } catch { result = .failure(error) }
            }
            let latency = Int((ContinuousClock.now - started).wholeMilliseconds)
            switch result {
            case .success(let outcome):
                switch outcome {
                case .succeeded(let reference):
                    payment.record(name, number, key, "succeeded", latency, nil, reference)
                    payment.gatewayReference = reference
                    try? payment.transition(to: .succeeded, actor: "gateway:\(name)", reason: "charged")
                case .requiresAction(let reference, let nextAction):
                    payment.record(name, number, key, "requires_action", latency, nil, reference)
                    payment.gatewayReference = reference
                    payment.nextAction = nextAction
                    if let confirming = gateway as? any ConfirmingGateway {
                        payment.chain = try? confirming.pending(request)
                    }
                    try? payment.transition(
                        to: .requiresAction, actor: "gateway:\(name)", reason: "the customer must act")
                case .processing(let reference):
                    payment.record(name, number, key, "processing", latency, nil, reference)
                    payment.gatewayReference = reference
                case .declined(let reference, let code, let message):
                    payment.record(name, number, key, "declined", latency, code, reference)
                    payment.gatewayReference = reference
                    try? payment.fail(code, message, source: "gateway", actor: "gateway:\(name)")
                }
                return
            case .failure(let error):
                payment.record(name, number, key, error.kind.rawValue, latency, error.code, nil)
                logger.warning(
                    "gateway attempt failed",
                    metadata: [
                        "payment_id": .string(payment.id), "gateway": .string(name),
                        "error": .string(error.description),
                    ])
                lastError = error
                if !error.isRetriable { break }
            }
        }
        let error = lastError
        try? payment.fail(
            error?.kind == .invalidRequest ? (error?.code ?? "invalid_request") : "processor_unavailable",
            error.map { "no gateway could charge the payment; last: \($0.description)" }
                ?? "no gateway could charge the payment",
            source: "gateway")
    }

    /// The last write of a request: the payment, its event, and the idempotency outcome together. Retried a few
    /// times, because a charge has happened and must not be lost.
    func finish(
        _ payment: inout Payment, expectedVersion: Int, completing: IdempotencyRecord?, caller: Caller,
        events extra: [OutgoingEvent] = []
    ) async throws -> Payment {
        let events = try Self.events(for: payment) + extra
        let later = try watchEvent(for: payment)
        // The stored answer is the payment as written (its version one up), rendered once for every try.
        var outcome = completing
        if outcome != nil {
            var view = payment
            view.version = expectedVersion + 1
            outcome?.response = PaymentView.render(view, for: caller)
        }
        var lastError: (any Error)?
        for attempt in 0..<4 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(50 << attempt)) }
            do {
                let written = try await store.commit(
                    payment, expectedVersion: expectedVersion, events: events, later: later, completing: outcome)
                payment = written
                return written
            } catch let error as PaymentStoreError {
                throw FunctionError(.conflict, error.description)
            } catch {
                lastError = error
            }
        }
        throw FunctionError(
            .unavailable, "the payment store is unavailable; payment \(payment.id) was not recorded",
            underlying: lastError)
    }

    static func events(for payment: Payment) throws -> [OutgoingEvent] {
        let status: PaymentProcessed.Status
        switch payment.status {
        case .succeeded: status = .succeeded
        case .failed: status = .failed
        default: return []
        }
        let last = payment.attempts.last
        let detail = PaymentProcessed(
            paymentID: payment.id, merchantID: payment.merchantID, customerID: payment.customerID,
            amount: payment.amount, currency: payment.currency, status: status, fee: payment.fee, net: payment.net,
            paymentMethod: payment.paymentMethod.type.rawValue,
            processorError: last.map { $0.outcome == "processor_error" || $0.outcome == "timeout" } ?? false,
            attempts: payment.attempts.count, decisionID: payment.decisionID,
            merchantCategory: payment.merchantCategory, gateway: payment.gateway, latencyMs: last?.latencyMs,
            risk: payment.risk.map { RiskSummary(score: $0.score, tier: $0.tier) },
            failureCode: payment.failure?.code, failureSource: payment.failure?.source)
        return [try OutgoingEvent(source: eventSource, detail, resources: [payment.id])]
    }

    func defaultMerchant(_ id: String) -> MerchantProfile {
        MerchantProfile(
            id: id, feeBasisPoints: settings.defaultFeeBasisPoints, feeFixed: settings.defaultFeeFixed,
            highRisk: settings.defaultHighRisk)
    }

    func storeCall<T>(_ body: () async throws -> T) async throws -> T {
        try await FunctionError.unavailable(on: RedisError.self, "payment store", body)
    }
}

/// Who asks, as far as the payment API cares.
public struct Caller: Sendable {
    public enum Audience: Sendable { case merchant, customer }
    public var audience: Audience
    /// `customer:c_7`, `merchant:m_42`, `admin:…`, `platform` (a direct invocation).
    public var actor: String
    public var identity: Identity?

    public init(audience: Audience, actor: String = "platform", identity: Identity? = nil) {
        self.audience = audience
        self.actor = actor
        self.identity = identity
    }

    public init(identity: Identity?) {
        guard let identity else {
            self.init(audience: .merchant)
            return
        }
        if let customer = identity.customerID {
            self.init(audience: .customer, actor: "customer:\(customer)", identity: identity)
        } else if identity.isAdmin {
            self.init(audience: .merchant, actor: "admin:\(identity.subject)", identity: identity)
        } else {
            self.init(
                audience: .merchant, actor: "merchant:\(identity.merchantID ?? identity.subject)", identity: identity)
        }
    }

    /// Idempotency keys belong to whoever sends them: a customer's never meet a merchant's.
    func idempotencyScope(merchantID: String) -> String {
        if let customer = identity?.customerID { return "customer:\(customer)" }
        return "merchant:\(merchantID)"
    }
}

extension Payment {
    mutating func fail(_ code: String, _ message: String, source: String, actor: String? = nil) throws(FunctionError) {
        failure = Failure(code: code, message: message, source: source)
        try transition(to: .failed, actor: actor ?? source, reason: "\(code): \(message)")
    }

    mutating func record(
        _ gateway: String, _ number: Int, _ key: String, _ outcome: String, _ latency: Int, _ code: String?,
        _ reference: String?
    ) {
        attempts.append(
            Attempt(
                number: number, gateway: gateway, outcome: outcome, latencyMs: latency, errorCode: code,
                reference: reference, idempotencyKey: key, at: .now()))
    }
}
