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
public struct PayHandler: FunctionHandler {
    public typealias Event = JSONValue

    public typealias Output = JSONOutput

    public let service: PayService

    public init(service: PayService) {
        self.service = service
    }

    public init(context: InitializationContext) async throws {
        let configuration = context.configuration
        let redis = try RedisClient(url: try configuration.require("REDIS_URL"), maximumConnections: 8)
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

    public func handle(_ event: JSONValue, context: InvocationContext) async throws -> Output {
        switch context.source {
        case .httpAPI(let request):
            let caller = Caller(identity: request.identity)
            if request.method == "GET" {
                if let id = request.pathParameters["id"] { return try await get(id, caller) }
                let query = request.queryStringParameters
                return try await list(
                    customerID: query["customer_id"], merchantID: query["merchant_id"], limit: query["limit"],
                    startingAfter: query["starting_after"], caller: caller)
            }
            if let id = request.pathParameters["id"] {
                if request.path.hasSuffix("/refund") { return try await refund(id, event, caller, context) }
                if request.path.hasSuffix("/cancel") { return try await cancel(id, event, caller, context) }
                throw FunctionError.notFound("no such action on a payment: \(request.path)")
            }
            return try await pay(event, caller: caller, headerKey: request.header("idempotency-key"), context: context)
        case .eventBridge(let envelope):
            guard envelope.detailType == PayService.watchDetailType else {
                throw FunctionError(
                    .invalidRequest, "pay handles \(PayService.watchDetailType) events, not \(envelope.detailType)")
            }
            let fields = try EventFields(event, what: "a watch event")
            let id = try fields.string("payment_id", required: true)!
            guard case .number(let text)? = fields["watch"], let sequence = Int(text) else {
                throw FunctionError.validation("watch", "expected the watch's sequence number")
            }
            let chain = try await service.watch(paymentID: id, sequence: sequence, logger: context.logger)
            return Output(
                body: .object([
                    "payment_id": .string(id), "state": chain.map { .string($0.state.rawValue) } ?? .string("stale"),
                ]), httpStatus: 200, httpHeaders: [:])
        case .webSocket:
            throw FunctionError(.invalidRequest, "pay is not a WebSocket route's integration")
        case .direct:
            let fields = try EventFields(event, what: "a payment or an action")
            let caller = Caller(audience: .merchant)
            let action = try fields.string("action", maximum: 32) ?? "pay"
            func id() throws(FunctionError) -> String { try fields.string("id", required: true)! }
            switch action {
            case "pay": return try await pay(event, caller: caller, headerKey: nil, context: context)
            case "get": return try await get(try id(), caller)
            case "list":
                return try await list(
                    customerID: try fields.string("customer_id"), merchantID: try fields.string("merchant_id"),
                    limit: try fields["limit"].map { value throws(FunctionError) in
                        guard case .number(let text) = value else {
                            throw FunctionError.validation("limit", "expected an integer")
                        }
                        return text
                    }, startingAfter: try fields.string("starting_after"), caller: caller)
            case "refund": return try await refund(try id(), event, caller, context)
            case "cancel": return try await cancel(try id(), event, caller, context)
            case "merchant.save": return try await saveMerchant(fields)
            case "customer.save": return try await saveCustomer(fields)
            default:
                throw FunctionError.validation(
                    "action",
                    "expected pay, get, list, refund, cancel, merchant.save or customer.save, got \"\(action)\"")
            }
        }
    }

    func pay(_ event: JSONValue, caller: Caller, headerKey: String?, context: InvocationContext) async throws -> Output
    {
        let request = try PaymentRequest(json: event, identity: caller.identity, headerKey: headerKey)
        let answer = try await service.pay(
            request, caller: caller, requestID: context.requestID, logger: context.logger)
        var headers: [String: String] = [:]
        if let key = request.idempotencyKey { headers["idempotency-key"] = key }
        if answer.replayed { headers["idempotent-replayed"] = "true" }
        return Output(body: answer.body, httpStatus: answer.status, httpHeaders: headers)
    }

    func get(_ id: String, _ caller: Caller) async throws -> Output {
        let payment = try await service.get(id, caller: caller)
        return Output(body: PaymentView.render(payment, for: caller), httpStatus: 200, httpHeaders: [:])
    }

    func list(customerID: String?, merchantID: String?, limit: String?, startingAfter: String?, caller: Caller)
        async throws -> Output
    {
        var count = 10
        if let limit {
            guard let parsed = Int(limit) else { throw FunctionError.validation("limit", "expected an integer 1–100") }
            count = parsed
        }
        let body = try await service.list(
            customerID: customerID, merchantID: merchantID, limit: count, startingAfter: startingAfter, caller: caller)
        return Output(body: body, httpStatus: 200, httpHeaders: [:])
    }

    func refund(_ id: String, _ event: JSONValue, _ caller: Caller, _ context: InvocationContext) async throws -> Output
    {
        let fields = try EventFields(event, what: "the refund")
        var amount: Int64?
        if fields.has("amount") { amount = try fields.minorUnits("amount") }
        let reason = try fields.string("reason", maximum: 500)
        let payment = try await service.refund(
            id, amount: amount, reason: reason, caller: caller, requestID: context.requestID)
        return Output(body: PaymentView.render(payment, for: caller), httpStatus: 200, httpHeaders: [:])
    }

    func cancel(_ id: String, _ event: JSONValue, _ caller: Caller, _ context: InvocationContext) async throws -> Output
    {
        let fields = try EventFields(event, what: "the cancel")
        let reason = try fields.string("reason", maximum: 500)
        let payment = try await service.cancel(id, reason: reason, caller: caller, requestID: context.requestID)
        return Output(body: PaymentView.render(payment, for: caller), httpStatus: 200, httpHeaders: [:])
    }

    func saveMerchant(_ fields: EventFields) async throws -> Output {
        let id = try fields.string("merchant_id", required: true)!
        var profile = try await service.store.merchant(id) ?? service.defaultMerchant(id)
        if fields.has("fee_bps") {
            let bps = try fields.minorUnits("fee_bps")
            guard (0...10_000).contains(bps) else {
                throw FunctionError.validation("fee_bps", "expected 0–10000, got \(bps)")
            }
            profile.feeBasisPoints = bps
        }
        if fields.has("fee_fixed") {
            let fixed = try fields.minorUnits("fee_fixed")
            guard fixed >= 0 else { throw FunctionError.validation("fee_fixed", "must not be negative, got \(fixed)") }
            profile.feeFixed = fixed
        }
        if let policy = try fields.string("high_risk", maximum: 16) {
            guard let parsed = MerchantProfile.HighRiskPolicy(rawValue: policy) else {
                throw FunctionError.validation("high_risk", "expected decline or review, got \"\(policy)\"")
            }
            profile.highRisk = parsed
        }
        if let country = try fields.country("country") { profile.country = country }
        if let category = try fields.string("category", maximum: 64) { profile.category = category }
        try await service.store.saveMerchant(profile)
        return Output(
            body: .object([
                "merchant_id": .string(id), "fee_bps": .number(String(profile.feeBasisPoints)),
                "fee_fixed": .number(String(profile.feeFixed)), "high_risk": .string(profile.highRisk.rawValue),
                "country": profile.country.map(JSONValue.string) ?? .null,
                "category": profile.category.map(JSONValue.string) ?? .null,
            ]), httpStatus: 200, httpHeaders: [:])
    }

    func saveCustomer(_ fields: EventFields) async throws -> Output {
        let id = try fields.string("customer_id", required: true)!
        let level = try fields.string("kyc_level", required: true, maximum: 32)!
        guard service.compliance.levels[level] != nil else {
            throw FunctionError.validation(
                "kyc_level",
                "expected one of \(service.compliance.levels.keys.sorted().joined(separator: ", ")), got \"\(level)\"")
        }
        try await service.store.saveCustomer(CustomerProfile(id: id, kycLevel: level))
        return Output(
            body: .object(["customer_id": .string(id), "kyc_level": .string(level)]), httpStatus: 200, httpHeaders: [:])
    }
}
