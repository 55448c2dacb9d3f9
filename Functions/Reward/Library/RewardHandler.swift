import Foundation
import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayHTTP
import SmartPayRedis
import SmartPaySolana

/// The reward function.
///
/// From the bus: `payment.processed` (a succeeded payment earns a pending reward, once), `payment.refunded` and
/// `chargeback.received` (cancel, or claw back after release), `settlement.completed` (`payment_id` or
/// `payment_ids`: release and mint now), `reward.release.due` (its own delayed event: release when the hold ended).
/// Behind the HTTP API: `GET /rewards/{customer}` — released, pending and total, in micro-tokens (6 decimals) and as
/// decimal strings; a customer sees only their own. Directly: `action` = `balance`, `release`, `reverse`, `spend`,
/// `redeem` / `redeem.refund` (pay's rewards payment method: money in, tokens debited at the earning rate, rounded
/// up; not enough is a `declined` answer), `wallet.save` (a base58 Solana address), `tier.save`.
///
/// Configuration: `REDIS_URL`, `REWARD_RULES` (see `RewardRules`), `REWARD_MINT` and friends (see `minter`).
public struct RewardHandler: RoutedFunction {
    public static let routes = FunctionRoutes<RewardHandler> { routes in
        routes.http("GET /rewards/{customer}", body: EmptyBody.self) { reward, _, request, context in
            let customer = request.pathParameters["customer"] ?? ""
            try context.requireAccess(to: "customer", customerID: customer, merchantID: nil)
            return try await reward.balance(customer)
        }
        routes.event(PaymentProcessed.self) { reward, payment, _, context in
            Self.render(try await reward.service.earn(payment, logger: context.logger))
        }
        routes.event(PaymentRefunded.self) { reward, refund, envelope, _ in
            Self.render(try await reward.service.reverse(paymentID: refund.paymentID, reason: envelope.detailType))
        }
        routes.event(ChargebackReceived.self) { reward, chargeback, envelope, _ in
            Self.render(try await reward.service.reverse(paymentID: chargeback.paymentID, reason: envelope.detailType))
        }
        routes.event(SettlementCompleted.self) { reward, settlement, _, _ in
            guard !settlement.payments.isEmpty else {
                throw FunctionError.validation("payment_id", "settlement.completed names payment_id or payment_ids")
            }
            var released: [JSONValue] = []
            for id in settlement.payments {
                if let done = try await reward.service.release(
                    paymentID: id, reason: "settlement.completed", force: true)
                {
                    released.append(Self.render(done))
                }
            }
            return JSONValue.object(["rewards": .array(released)])
        }
        routes.event(RewardReleaseDue.self) { reward, due, _, _ in
            Self.render(
                try await reward.service.release(paymentID: due.paymentID, reason: "the hold ended", force: false))
        }
        routes.action("balance", body: RewardAction.Customer.self) { reward, body, _ in
            try await reward.balance(body.customerID)
        }
        routes.action("release", body: RewardAction.Payment.self) { reward, body, _ in
            Self.render(
                try await reward.service.release(
                    paymentID: body.paymentID, reason: "released by the platform", force: true))
        }
        routes.action("reverse", body: RewardAction.Reverse.self) { reward, body, _ in
            Self.render(
                try await reward.service.reverse(
                    paymentID: body.paymentID, reason: body.reason ?? "reversed by the platform"))
        }
        routes.action("spend", body: RewardAction.Spend.self) { reward, body, _ in
            do {
                let left = try await reward.service.store.spend(
                    customerID: body.customerID, paymentID: body.paymentID, amount: body.amount)
                return Self.render(left, customer: body.customerID)
            } catch RewardStoreError.insufficientBalance(let available, let requested) {
                throw FunctionError.validation(
                    "amount", "\(requested) micro-tokens asked, \(available) released and unspent")
            }
        }
        routes.call(RewardRedeem.self) { reward, call, _ in try await reward.service.redeem(call) }
        routes.call(RewardRedeemRefund.self) { reward, call, _ in try await reward.service.redeemRefund(call) }
        routes.action("wallet.save", body: RewardAction.Wallet.self) { reward, body, _ in
            try await reward.service.store.setWallet(customerID: body.customerID, wallet: body.wallet)
            return JSONValue.object(["customer_id": .string(body.customerID), "wallet": .string(body.wallet)])
        }
        routes.action("tier.save", body: RewardAction.Tier.self) { reward, body, _ in
            try await reward.service.store.setTier(customerID: body.customerID, tier: body.tier)
            return JSONValue.object(["customer_id": .string(body.customerID)])
        }
    }

    public let service: RewardService

    public init(service: RewardService) { self.service = service }

    public init(context: InitializationContext) async throws {
        let configuration = context.configuration
        let redis = try RedisClient(
            url: try configuration.require("REDIS_URL"), maximumConnections: 8, service: "the reward store")
        var rulesJSON: JSONValue?
        if let text = configuration.string("REWARD_RULES") {
            do { rulesJSON = try JSONParser().parse(Array(text.utf8)) } catch {
                throw RewardError.invalidRules(nil, "not JSON: \(error)")
            }
        }
        let store = RedisRewardStore(redis: redis)
        self.init(
            service: RewardService(
                store: store, minter: try Self.minter(configuration, store: store),
                rules: try RewardRules(json: rulesJSON)))
        context.logger.info("reward ready", metadata: ["minter": .string(service.minter.name)])
    }

    /// Solana when `REWARD_MINT` (the SPL mint, 6 decimals) is set, with `SOLANA_RPC_URL` and the mint authority's
    /// key in `REWARD_MINT_AUTHORITY_KEY_FILE` (solana-keygen JSON) or `REWARD_MINT_AUTHORITY_KEY`; else the ledger.
    static func minter(_ configuration: FunctionConfiguration, store: RedisRewardStore) throws -> any RewardMinter {
        guard let mintText = configuration.string("REWARD_MINT") else { return LedgerMinter() }
        let url = try configuration.require("SOLANA_RPC_URL")
        guard let keyText = try configuration.secret("REWARD_MINT_AUTHORITY_KEY") else {
            throw FunctionError(
                .invalidRequest,
                "REWARD_MINT is set but neither REWARD_MINT_AUTHORITY_KEY_FILE nor REWARD_MINT_AUTHORITY_KEY")
        }
        do {
            return SolanaMinter(
                rpc: SolanaRPC(url: url, http: HTTPClient()), mint: try SolanaPublicKey(mintText),
                authority: try SolanaKeypair(keygenJSON: keyText),
                wallets: { try await store.wallet(customerID: $0) })
        } catch {
            throw FunctionError(.invalidRequest, "the reward mint's settings: \(error.description)")
        }
    }

    func balance(_ customer: String) async throws -> JSONValue {
        Self.render(try await service.store.balance(customerID: customer), customer: customer)
    }

    static func render(_ balance: RewardBalance, customer: String) -> JSONValue {
        func amount(_ value: Int64) -> JSONValue {
            .object(["amount": .number(String(value)), "display": .string(tokens(value))])
        }
        return .object([
            "customer_id": .string(customer), "decimals": .number(String(RewardRules.decimals)),
            "released": amount(balance.released), "pending": amount(balance.pending), "total": amount(balance.total),
        ])
    }

    /// Micro-tokens as a decimal string: 25990000 → "25.99".
    static func tokens(_ value: Int64) -> String {
        DecimalText.format(value, decimals: Int(RewardRules.decimals), trimmingZeros: true)
    }

    static func render(_ reward: Reward?) -> JSONValue {
        reward.map(render) ?? .object(["reward": .null])
    }

    static func render(_ reward: Reward) -> JSONValue {
        var body: [String: JSONValue] = [
            "id": .string(reward.id), "payment_id": .string(reward.paymentID),
            "customer_id": .string(reward.customerID), "merchant_id": .string(reward.merchantID),
            "amount": .number(String(reward.amount)), "status": .string(reward.status.rawValue),
            "release_at": .string(reward.releaseAt.description),
            "steps": .array(
                reward.steps.map {
                    .object([
                        "status": .string($0.status.rawValue), "at": .string($0.at.description),
                        "reason": .string($0.reason),
                    ])
                }),
        ]
        if let minted = reward.mintedOn { body["minted_on"] = .string(minted) }
        if let signature = reward.signature { body["signature"] = .string(signature) }
        return .object(body)
    }
}

extension RewardError: FunctionErrorConvertible {
    /// An illegal escrow move or a wallet missing for an on-chain mint clashes with the reward's state (409); a rule
    /// setting or a purchase breaking a rule is a validation error (422) naming its field; an unknown purchase 404.
    public var functionError: FunctionError {
        let status: FunctionError.Code =
            switch code {
            case .illegalMove, .noWallet: .conflict
            case .invalidRules, .invalidPurchase: .validation
            case .unknownPurchase: .notFound
            default: .internal
            }
        return FunctionError(status, message, field: field, underlying: self)
    }
}
