import Foundation
import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayHTTP
import SmartPayInvoke
import SmartPayRedis
import SmartPaySolana

/// The pay function.
///
/// Behind the HTTP API: `POST /pay`, `GET /payments/{id}`, `GET /payments?customer_id=…|merchant_id=…&limit=…
/// &starting_after=…`, `POST /payments/{id}/refund` (`amount` optional: all that is left), `POST
/// /payments/{id}/cancel`. Invoked directly (trusted callers, `smartpay invoke`), the event's `action` picks the
/// same operations — `pay` (the default), `get`, `list`, `refund`, `cancel` — plus `merchant.save` and
/// `customer.save` for the profiles (fees, high-risk policy, KYC level).
///
/// Configuration: `REDIS_URL`; gateways — `STRIPE_API_KEY`, `STRIPE_API_BASE`, `AMAZON_PAY_*` (see `amazonPay`), `SOLANA_*` (see `solana`); siblings — `PAY_FRAUD_FUNCTION`
/// (`fraud`), `PAY_ROUTE_FUNCTION` (`route`), `AWS_ENDPOINT_URL_LAMBDA`; policy — see `PaySettings`, `Compliance`.
public struct PayHandler: RoutedFunction {
    public static let routes = FunctionRoutes<PayHandler>(defaultAction: "pay") { routes in
        routes.http("POST /pay", body: JSONValue.self) { pay, body, request, context in
            try await pay.pay(
                body, caller: Caller(identity: request.identity), headerKey: request.header("idempotency-key"),
                context: context)
        }
        routes.http("GET /payments/{id}", body: EmptyBody.self) { pay, _, request, _ in
            try await pay.get(request.pathParameters["id"] ?? "", Caller(identity: request.identity))
        }
        routes.http("GET /payments", body: EmptyBody.self) { pay, _, request, _ in
            try await pay.list(
                try PayAction.ListQuery(query: request.queryStringParameters), Caller(identity: request.identity))
        }
        routes.http("POST /payments/{id}/refund", body: PayAction.Refund.self) { pay, body, request, context in
            try await pay.refund(request.pathParameters["id"] ?? "", body, Caller(identity: request.identity), context)
        }
        routes.http("POST /payments/{id}/cancel", body: PayAction.Cancel.self) { pay, body, request, context in
            try await pay.cancel(request.pathParameters["id"] ?? "", body, Caller(identity: request.identity), context)
        }
        routes.event(PaymentChainWatch.self) { pay, watch, _, context in
            let chain = try await pay.service.watch(
                paymentID: watch.paymentID, sequence: watch.watch, logger: context.logger)
            return JSONValue.object([
                "payment_id": .string(watch.paymentID),
                "state": chain.map { .string($0.state.rawValue) } ?? .string("stale"),
            ])
        }
        // Direct invocations are the platform's (trusted callers, `smartpay invoke`): a merchant's view.
        routes.action("pay", body: JSONValue.self) { pay, body, context in
            try await pay.pay(body, caller: Caller(audience: .merchant), headerKey: nil, context: context)
        }
        routes.action("get", body: PayAction.Lookup.self) { pay, body, _ in
            try await pay.get(body.id, Caller(audience: .merchant))
        }
        routes.action("list", body: PayAction.ListQuery.self) { pay, body, _ in
            try await pay.list(body, Caller(audience: .merchant))
        }
        routes.action("refund", body: PayAction.Refund.self) { pay, body, context in
            try await pay.refund(try Self.id(body.id), body, Caller(audience: .merchant), context)
        }
        routes.action("cancel", body: PayAction.Cancel.self) { pay, body, context in
            try await pay.cancel(try Self.id(body.id), body, Caller(audience: .merchant), context)
        }
        routes.action("merchant.save", body: PayAction.MerchantUpdate.self) { pay, body, _ in
            try await pay.saveMerchant(body)
        }
        routes.action("customer.save", body: PayAction.CustomerUpdate.self) { pay, body, _ in
            try await pay.saveCustomer(body)
        }
    }

    public let service: PayService

    public init(service: PayService) {
        self.service = service
    }

    public init(context: InitializationContext) async throws {
        let configuration = context.configuration
        let redis = try RedisClient(
            url: try configuration.require("REDIS_URL"), maximumConnections: 8, service: "the payment store")
        let http = HTTPClient()
        let timeout = Duration.milliseconds(try configuration.integer("PAY_GATEWAY_TIMEOUT_MS", default: 4000))
        var adapters: [any PaymentGateway] = []
        let stripeBase = configuration.string("STRIPE_API_BASE")
        if let key = configuration.string("STRIPE_API_KEY") {
            let dialectName = configuration.string("STRIPE_DIALECT") ?? "stripe"
            guard let dialect = StripeGateway.Dialect(rawValue: dialectName) else {
                throw FunctionError(
                    .invalidRequest, "STRIPE_DIALECT: expected stripe or localstripe, got \(dialectName)")
            }
            adapters.append(
                StripeGateway(
                    apiKey: key, baseURL: stripeBase ?? "https://api.stripe.com", dialect: dialect, http: http,
                    timeout: timeout))
        } else if stripeBase != nil {
            throw FunctionError(.invalidRequest, "STRIPE_API_BASE is set but STRIPE_API_KEY is not")
        }
        if let amazon = try Self.amazonPay(configuration, http: http, timeout: timeout) { adapters.append(amazon) }
        if let solana = try Self.solana(configuration, http: http) { adapters.append(solana) }
        let invoker = LambdaInvoker(environment: configuration.values, http: http)
        let rewardFunction = configuration.string("PAY_REWARD_FUNCTION") ?? "reward"
        if rewardFunction != "off" { adapters.append(RewardsGateway(invoker: invoker, function: rewardFunction)) }
        let siblings = InvokedSiblings(
            invoker: invoker,
            fraudFunction: configuration.string("PAY_FRAUD_FUNCTION") ?? "fraud",
            routeFunction: configuration.string("PAY_ROUTE_FUNCTION") ?? "route")
        self.init(
            service: PayService(
                store: RedisPaymentStore(redis: redis), gateways: GatewayRegistry(adapters), risk: siblings,
                router: siblings, compliance: try Compliance(configuration: configuration),
                settings: try PaySettings(configuration: configuration)))
        context.logger.info(
            "pay ready", metadata: ["gateways": .string(adapters.map(\.name).joined(separator: ","))])
    }

    /// Amazon Pay when `AMAZON_PAY_PUBLIC_KEY_ID` is set, with the private key from `AMAZON_PAY_PRIVATE_KEY_FILE`
    /// (or the PEM itself in `AMAZON_PAY_PRIVATE_KEY`), `AMAZON_PAY_REGION` (us, eu, jp), `AMAZON_PAY_ENVIRONMENT`
    /// (sandbox, live) and `AMAZON_PAY_API_BASE`.
    static func amazonPay(_ configuration: FunctionConfiguration, http: HTTPClient, timeout: Duration) throws
        -> AmazonPayGateway?
    {
        guard let keyID = configuration.string("AMAZON_PAY_PUBLIC_KEY_ID") else {
            for name in ["AMAZON_PAY_PRIVATE_KEY", "AMAZON_PAY_PRIVATE_KEY_FILE", "AMAZON_PAY_API_BASE"]
            where configuration.string(name) != nil {
                throw FunctionError(.invalidRequest, "\(name) is set but AMAZON_PAY_PUBLIC_KEY_ID is not")
            }
            return nil
        }
        guard let pem = try configuration.secret("AMAZON_PAY_PRIVATE_KEY") else {
            throw FunctionError(
                .invalidRequest,
                "AMAZON_PAY_PUBLIC_KEY_ID is set but neither AMAZON_PAY_PRIVATE_KEY_FILE nor AMAZON_PAY_PRIVATE_KEY")
        }
        let regionName = configuration.string("AMAZON_PAY_REGION") ?? "us"
        guard let region = AmazonPayGateway.Region(rawValue: regionName) else {
            throw FunctionError(.invalidRequest, "AMAZON_PAY_REGION: expected us, eu or jp, got \(regionName)")
        }
        let environment = configuration.string("AMAZON_PAY_ENVIRONMENT") ?? "sandbox"
        guard environment == "sandbox" || environment == "live" else {
            throw FunctionError(
                .invalidRequest, "AMAZON_PAY_ENVIRONMENT: expected sandbox or live, got \(environment)")
        }
        do {
            return try AmazonPayGateway(
                publicKeyID: keyID, privateKeyPEM: pem, region: region, sandbox: environment == "sandbox",
                baseURL: configuration.string("AMAZON_PAY_API_BASE"), http: http, timeout: timeout)
        } catch {
            throw FunctionError(.invalidRequest, "Amazon Pay: \(error.message)")
        }
    }

    /// Solana pay-in when `SOLANA_RPC_URL` is set: the recipient from `SOLANA_RECIPIENT` (an address) or
    /// `SOLANA_RECIPIENT_KEY_FILE` (solana-keygen JSON), `SOLANA_USDC_MINT` for USD prices, `SOLANA_SOL_PRICE_USD_CENTS`
    /// (15000) for the confirmation depth of SOL amounts, `SOLANA_PAYMENT_WINDOW_S` (900) and
    /// `SOLANA_WATCH_INTERVAL_MS` (1000).
    static func solana(_ configuration: FunctionConfiguration, http: HTTPClient) throws -> SolanaPayGateway? {
        guard let url = configuration.string("SOLANA_RPC_URL") else { return nil }
        let recipient: SolanaPublicKey
        if let address = configuration.string("SOLANA_RECIPIENT") {
            do { recipient = try SolanaPublicKey(address) } catch {
                throw FunctionError(.invalidRequest, "SOLANA_RECIPIENT: \(error.description)")
            }
        } else if let file = configuration.string("SOLANA_RECIPIENT_KEY_FILE") {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw FunctionError(.invalidRequest, "SOLANA_RECIPIENT_KEY_FILE: cannot read \(file)")
            }
            do { recipient = try SolanaKeypair(keygenJSON: text).publicKey } catch {
                throw FunctionError(.invalidRequest, "SOLANA_RECIPIENT_KEY_FILE: \(error.description)")
            }
        } else {
            throw FunctionError(
                .invalidRequest, "SOLANA_RPC_URL is set but neither SOLANA_RECIPIENT nor SOLANA_RECIPIENT_KEY_FILE")
        }
        var mint: SolanaPublicKey?
        if let text = configuration.string("SOLANA_USDC_MINT") {
            do { mint = try SolanaPublicKey(text) } catch {
                throw FunctionError(.invalidRequest, "SOLANA_USDC_MINT: \(error.description)")
            }
        }
        let price = try configuration.integer("SOLANA_SOL_PRICE_USD_CENTS", default: 15_000)
        guard price > 0 else { throw FunctionError(.invalidRequest, "SOLANA_SOL_PRICE_USD_CENTS must be positive") }
        return SolanaPayGateway(
            recipient: recipient, usdcMint: mint, rpc: SolanaRPC(url: url, http: http), solPriceUSDCents: Int64(price),
            window: .seconds(try configuration.integer("SOLANA_PAYMENT_WINDOW_S", default: 900)),
            watchInterval: .milliseconds(try configuration.integer("SOLANA_WATCH_INTERVAL_MS", default: 1000)))
    }

    static func id(_ given: String?) throws(FunctionError) -> String {
        guard let given else { throw FunctionError.validation("id", "is required") }
        return given
    }

    func pay(_ event: JSONValue, caller: Caller, headerKey: String?, context: InvocationContext) async throws
        -> JSONOutput
    {
        let request = try PaymentRequest(json: event, identity: caller.identity, headerKey: headerKey)
        let answer = try await service.pay(
            request, caller: caller, requestID: context.requestID, logger: context.logger)
        var headers: [String: String] = [:]
        if let key = request.idempotencyKey { headers["idempotency-key"] = key }
        if answer.replayed { headers["idempotent-replayed"] = "true" }
        return JSONOutput(body: answer.body, httpStatus: answer.status, httpHeaders: headers)
    }

    func get(_ id: String, _ caller: Caller) async throws -> JSONValue {
        PaymentView.render(try await service.get(id, caller: caller), for: caller)
    }

    func list(_ query: PayAction.ListQuery, _ caller: Caller) async throws -> JSONValue {
        let page = try await service.list(
            customerID: query.customerID, merchantID: query.merchantID, limit: query.limit ?? 10,
            startingAfter: query.startingAfter, caller: caller)
        return .object([
            "object": .string("list"), "data": .array(page.payments.map { PaymentView.render($0, for: caller) }),
            "has_more": .bool(page.hasMore),
        ])
    }

    func refund(_ id: String, _ body: PayAction.Refund, _ caller: Caller, _ context: InvocationContext) async throws
        -> JSONValue
    {
        let payment = try await service.refund(
            id, amount: body.amount?.value, reason: body.reason, caller: caller, requestID: context.requestID)
        return PaymentView.render(payment, for: caller)
    }

    func cancel(_ id: String, _ body: PayAction.Cancel, _ caller: Caller, _ context: InvocationContext) async throws
        -> JSONValue
    {
        let payment = try await service.cancel(id, reason: body.reason, caller: caller, requestID: context.requestID)
        return PaymentView.render(payment, for: caller)
    }

    func saveMerchant(_ update: PayAction.MerchantUpdate) async throws -> JSONValue {
        let id = update.merchantID
        var profile = try await service.store.merchant(id) ?? service.defaultMerchant(id)
        if let bps = update.feeBps { profile.feeBasisPoints = bps.value }
        if let fixed = update.feeFixed { profile.feeFixed = fixed.value }
        if let policy = update.highRisk.flatMap(MerchantProfile.HighRiskPolicy.init(rawValue:)) {
            profile.highRisk = policy
        }
        if let country = update.country { profile.country = country.uppercased() }
        if let category = update.category { profile.category = category }
        try await service.store.saveMerchant(profile)
        return .object([
            "merchant_id": .string(id), "fee_bps": .number(String(profile.feeBasisPoints)),
            "fee_fixed": .number(String(profile.feeFixed)), "high_risk": .string(profile.highRisk.rawValue),
            "country": profile.country.map(JSONValue.string) ?? .null,
            "category": profile.category.map(JSONValue.string) ?? .null,
        ])
    }

    func saveCustomer(_ update: PayAction.CustomerUpdate) async throws -> JSONValue {
        let (id, level) = (update.customerID, update.kycLevel)
        guard service.compliance.levels[level] != nil else {
            throw FunctionError.validation(
                "kyc_level",
                "expected one of \(service.compliance.levels.keys.sorted().joined(separator: ", ")), got \"\(level)\"")
        }
        try await service.store.saveCustomer(CustomerProfile(id: id, kycLevel: level))
        return .object(["customer_id": .string(id), "kyc_level": .string(level)])
    }
}

extension PaymentError: FunctionErrorConvertible {
    public var functionError: FunctionError {
        let code: FunctionError.Code
        switch reason {
        case .illegalTransition, .conflict: code = .conflict
        case .notFound: code = .notFound
        case .forbidden: code = .forbidden
        case .invalid: code = .validation
        case .idempotencyMismatch: code = .idempotencyError
        case .idempotencyInProgress: code = .idempotencyInProgress
        case .unavailable: code = .unavailable
        }
        return FunctionError(code, message, field: field, underlying: self)
    }
}
