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
public struct RewardHandler: FunctionHandler {
    public typealias Event = JSONValue
    public typealias Output = JSONOutput

    public let service: RewardService

    public init(service: RewardService) { self.service = service }

    public init(context: InitializationContext) async throws {
        let configuration = context.configuration
        let redis = try RedisClient(url: try configuration.require("REDIS_URL"), maximumConnections: 8)
        var rulesJSON: JSONValue?
        if let text = configuration.string("REWARD_RULES") {
            do { rulesJSON = try JSONParser().parse(Array(text.utf8)) } catch {
                throw FunctionError.validation("REWARD_RULES", "not JSON: \(error)")
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

    public func handle(_ event: JSONValue, context: InvocationContext) async throws -> JSONOutput {
        switch context.source {
        case .httpAPI(let request):
            guard let customer = request.pathParameters["customer"] else {
                throw FunctionError.notFound("no such route: \(request.path)")
            }
            try context.requireAccess(to: "customer", customerID: customer, merchantID: nil)
            return JSONOutput(body: try await balance(customer))
        case .eventBridge(let envelope):
            let fields = try EventFields(event, what: envelope.detailType)
            let logger = context.logger
            switch envelope.detailType {
            case "payment.processed":
                let reward = try await service.earn(event, logger: logger)
                return JSONOutput(body: reward.map(Self.render) ?? .object(["reward": .null]))
            case "payment.refunded", "chargeback.received":
                let id = try fields.string("payment_id", required: true)!
                let reward = try await service.reverse(paymentID: id, reason: envelope.detailType)
                return JSONOutput(body: reward.map(Self.render) ?? .object(["reward": .null]))
            case "settlement.completed":
                var ids: [String] = []
                if let id = try fields.string("payment_id") { ids.append(id) }
                if case .array(let items)? = fields["payment_ids"] { ids += items.compactMap(\.stringValue) }
                guard !ids.isEmpty else {
                    throw FunctionError.validation("payment_id", "settlement.completed names payment_id or payment_ids")
                }
                var released: [JSONValue] = []
                for id in ids {
                    if let reward = try await service.release(
                        paymentID: id, reason: "settlement.completed", force: true)
                    {
                        released.append(Self.render(reward))
                    }
                }
                return JSONOutput(body: .object(["rewards": .array(released)]))
            case RewardService.releaseDueType:
                let id = try fields.string("payment_id", required: true)!
                let reward = try await service.release(paymentID: id, reason: "the hold ended", force: false)
                return JSONOutput(body: reward.map(Self.render) ?? .object(["reward": .null]))
            default:
                throw FunctionError(.invalidRequest, "reward does not handle \(envelope.detailType) events")
            }
        case .webSocket:
            throw FunctionError(.invalidRequest, "reward is not a WebSocket route's integration")
        case .direct:
            let fields = try EventFields(event, what: "a reward action")
            let action = try fields.string("action", required: true, maximum: 32)!
            switch action {
            case "balance":
                return JSONOutput(body: try await balance(try fields.string("customer_id", required: true)!))
            case "release":
                let reward = try await service.release(
                    paymentID: try fields.string("payment_id", required: true)!, reason: "released by the platform",
                    force: true)
                return JSONOutput(body: reward.map(Self.render) ?? .object(["reward": .null]))
            case "reverse":
                let reward = try await service.reverse(
                    paymentID: try fields.string("payment_id", required: true)!,
                    reason: try fields.string("reason") ?? "reversed by the platform")
                return JSONOutput(body: reward.map(Self.render) ?? .object(["reward": .null]))
            case "spend":
                let customer = try fields.string("customer_id", required: true)!
                let amount = try fields.minorUnits("amount")
                guard amount > 0 else { throw FunctionError.validation("amount", "must be positive, got \(amount)") }
                do {
                    let left = try await service.store.spend(
                        customerID: customer, paymentID: try fields.string("payment_id", required: true)!,
                        amount: amount)
                    return JSONOutput(body: Self.render(left, customer: customer))
                } catch RewardStoreError.insufficientBalance(let available, let requested) {
                    throw FunctionError.validation(
                        "amount", "\(requested) micro-tokens asked, \(available) released and unspent")
                }
            case "redeem":
                let money = Money(minorUnits: try fields.minorUnits("amount"), currency: try fields.currency())
                guard money.minorUnits > 0 else {
                    throw FunctionError.validation("amount", "must be positive, got \(money.minorUnits)")
                }
                return JSONOutput(
                    body: try await service.redeem(
                        customerID: try fields.string("customer_id", required: true)!,
                        paymentID: try fields.string("payment_id", required: true)!, money: money))
            case "redeem.refund":
                let money = Money(minorUnits: try fields.minorUnits("amount"), currency: try fields.currency())
                return JSONOutput(
                    body: try await service.redeemRefund(
                        spendID: try fields.string("spend_id", required: true)!, money: money,
                        key: try fields.string("refund_key", required: true, maximum: 255)!))
            case "wallet.save":
                let customer = try fields.string("customer_id", required: true)!
                let wallet = try fields.string("wallet", required: true, maximum: 64)!
                do { _ = try SolanaPublicKey(wallet) } catch {
                    throw FunctionError.validation("wallet", error.description)
                }
                try await service.store.setWallet(customerID: customer, wallet: wallet)
                return JSONOutput(body: .object(["customer_id": .string(customer), "wallet": .string(wallet)]))
            case "tier.save":
                let customer = try fields.string("customer_id", required: true)!
                try await service.store.setTier(customerID: customer, tier: try fields.string("tier", maximum: 32))
                return JSONOutput(body: .object(["customer_id": .string(customer)]))
            default:
                throw FunctionError.validation(
                    "action",
                    "expected balance, release, reverse, spend, redeem, redeem.refund, wallet.save or tier.save, got \"\(action)\""
                )
            }
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
