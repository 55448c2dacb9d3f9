import Foundation
import FunctionKit
import Logging
import RewardFunction
import SmartPayContracts
import SmartPayCore
import SmartPayRedis
import TestSupport
import Testing

func processed(
    _ payment: String, amount: Int64 = 2599, currency: String = "USD", customer: String = "c_7",
    status: PaymentProcessed.Status = .succeeded, category: String? = nil, method: String = "card"
) throws -> PaymentProcessed {
    PaymentProcessed(
        paymentID: payment, merchantID: "m_42", customerID: customer, amount: amount,
        currency: try Currency(code: currency), status: status, fee: 0, net: amount, paymentMethod: method,
        processorError: false, attempts: 1, merchantCategory: category, gateway: "stripe")
}

@Suite("reward: earning, escrow, release, clawback and spending on a real Redis (ledger mode)", .serialized)
struct RewardServiceTests {
    let logger = Logger(label: "test")

    func service(_ redis: RedisServer, rules: RewardRules = RewardRules()) -> (RewardService, RedisRewardStore) {
        let store = RedisRewardStore(redis: RedisClient(configuration: redis.configuration))
        return (RewardService(store: store, minter: LedgerMinter(), rules: rules), store)
    }

    @Test("the earning rule: integer micro-tokens by currency, category and tier; decimals parse exactly")
    func rules() throws {
        var rules = try RewardRules(
            json: try JSONParser().parse(
                Array(
                    #"{"rates": {"USD": "1", "JPY": "0.01"}, "category_multipliers": {"grocery": "2"}, "tier_multipliers": {"gold": "1.5"}, "daily_cap": "50", "hold_seconds": 60}"#
                        .utf8)))
        #expect(rules.earned(amount: 2599, currency: .usd, category: nil, tier: nil) == 25_990_000)
        #expect(rules.earned(amount: 2599, currency: .usd, category: "grocery", tier: "gold") == 77_970_000)
        #expect(rules.earned(amount: 1500, currency: .jpy, category: nil, tier: nil) == 15_000_000)
        #expect(rules.earned(amount: 100, currency: .kwd, category: nil, tier: nil) == nil, "no rate for KWD")
        #expect(rules.earned(amount: 1, currency: .usd, category: nil, tier: nil) == 10_000)
        #expect(rules.dailyCap == 50_000_000 && rules.holdSeconds == 60)
        rules.rates["USD"] = 1
        #expect(rules.earned(amount: 99, currency: .usd, category: nil, tier: nil) == 0, "rounded down, never up")
        #expect(throws: RewardError.invalidRules("rates.USD", "expected a non-negative decimal string such as \"1.5\""))
        {
            _ = try RewardRules(json: try JSONParser().parse(Array(#"{"rates": {"USD": 1.5}}"#.utf8)))
        }
        #expect(throws: RewardError.invalidRules("daily_cap", "expected a decimal string of tokens")) {
            _ = try RewardRules(json: try JSONParser().parse(Array(#"{"daily_cap": "-1"}"#.utf8)))
        }
    }

    @Test("a payment earns once however often its event arrives, concurrently too; failed payments earn nothing")
    func earnsOnce() async throws {
        try await RedisServer.with { redis in
            let (service, store) = service(redis)
            let event = try processed("pay_1")
            let rewards = try await withThrowingTaskGroup(of: Reward?.self) { group in
                for _ in 0..<20 { group.addTask { try await service.earn(event, logger: logger) } }
                var all: [Reward?] = []
                for try await reward in group { all.append(reward) }
                return all
            }
            #expect(Set(rewards.compactMap { $0?.id }) == ["rwd_pay_1"])
            #expect(try await store.balance(customerID: "c_7") == RewardBalance(released: 0, pending: 25_990_000))
            #expect(try await service.earn(try processed("pay_2", status: .failed), logger: logger) == nil)
        }
    }

    @Test("the daily cap limits what a day earns; the rest of a payment over it is recorded, not lost silently")
    func dailyCap() async throws {
        try await RedisServer.with { redis in
            var rules = RewardRules()
            rules.dailyCap = 30 * RewardRules.unit
            let (service, store) = service(redis, rules: rules)
            let first = try #require(try await service.earn(try processed("pay_a", amount: 2000), logger: logger))
            let second = try #require(try await service.earn(try processed("pay_b", amount: 2000), logger: logger))
            let third = try #require(try await service.earn(try processed("pay_c", amount: 2000), logger: logger))
            #expect(first.amount == 20_000_000 && second.amount == 10_000_000 && third.amount == 0)
            #expect(second.steps[0].reason.contains("daily cap") && third.status == .canceled)
            #expect(try await store.balance(customerID: "c_7").pending == 30_000_000)
        }
    }

    @Test("escrow: released by settlement or when the hold ends, canceled by a refund, clawed back after release")
    func escrow() async throws {
        try await RedisServer.with { redis in
            var rules = RewardRules()
            rules.holdSeconds = 0
            let (service, store) = service(redis)
            let (quick, _) = self.service(redis, rules: rules)
            _ = try await service.earn(try processed("pay_s"), logger: logger)
            let early = try #require(try await service.release(paymentID: "pay_s", reason: "hold", force: false))
            #expect(early.status == .pending, "the hold has not ended")
            let settled = try #require(
                try await service.release(paymentID: "pay_s", reason: "settlement.completed", force: true))
            #expect(settled.status == .released && settled.mintedOn == "ledger")
            #expect(settled.steps.map(\.status) == [.pending, .releasing, .released])
            #expect(try await store.balance(customerID: "c_7") == RewardBalance(released: 25_990_000, pending: 0))

            _ = try await quick.earn(try processed("pay_h", amount: 1000), logger: logger)
            #expect(
                try await quick.release(paymentID: "pay_h", reason: "hold ended", force: false)?.status == .released)

            _ = try await service.earn(try processed("pay_r", amount: 500), logger: logger)
            #expect(try await service.reverse(paymentID: "pay_r", reason: "payment.refunded")?.status == .canceled)
            let clawed = try #require(try await service.reverse(paymentID: "pay_s", reason: "chargeback.received"))
            #expect(clawed.status == .clawedBack)
            #expect(try await store.balance(customerID: "c_7") == RewardBalance(released: 10_000_000, pending: 0))
            var canceled = try #require(try await store.load("rwd_pay_r"))
            #expect(throws: RewardError.illegalMove(from: .canceled, to: .released)) {
                try canceled.move(to: .released, reason: "illegal")
            }
            let late = try await service.release(paymentID: "pay_r", reason: "late settlement", force: true)
            #expect(late?.status == .canceled, "a canceled reward is never minted")
        }
    }

    @Test("two concurrent spends can never overdraw; a repeated spend for the same payment debits once")
    func spends() async throws {
        try await RedisServer.with { redis in
            var rules = RewardRules()
            rules.holdSeconds = 0
            let (service, store) = service(redis, rules: rules)
            _ = try await service.earn(try processed("pay_e", amount: 1000), logger: logger)  // 10 tokens
            _ = try await service.release(paymentID: "pay_e", reason: "hold", force: true)
            let paid = await withTaskGroup(of: String?.self) { group in
                for index in 0..<10 {
                    group.addTask {
                        let purchase = "buy_\(index)"
                        let spent = try? await store.spend(customerID: "c_7", paymentID: purchase, amount: 3_000_000)
                        return spent == nil ? nil : purchase
                    }
                }
                var purchases: [String] = []
                for await purchase in group { if let purchase { purchases.append(purchase) } }
                return purchases
            }
            #expect(paid.count == 3, "10 tokens pay for three purchases of 3")
            #expect(try await store.balance(customerID: "c_7").released == 1_000_000)
            let again = try await store.spend(customerID: "c_7", paymentID: try #require(paid.first), amount: 3_000_000)
            #expect(again.released == 1_000_000, "the same purchase again debits nothing")
            await #expect(throws: RewardStoreError.self) {
                _ = try await store.spend(customerID: "c_7", paymentID: "buy_x", amount: 2_000_000)
            }
        }
    }

    @Test(
        "redeeming: tokens at the earning rate rounded up; declined when short; refunds give back at most what was spent"
    )
    func redeem() async throws {
        try await RedisServer.with { redis in
            var rules = RewardRules()
            rules.holdSeconds = 0
            rules.rates["USD"] = 333_333
            let (service, store) = service(redis, rules: rules)
            #expect(service.tokens(for: Money(minorUnits: 1, currency: .usd)) == 3_334, "rounded up")
            _ = try await service.earn(try processed("pay_x", amount: 30_000), logger: logger)  // 99.9999 tokens
            _ = try await service.release(paymentID: "pay_x", reason: "hold", force: true)
            let paid = try await service.redeem(
                RewardRedeem(customerID: "c_7", paymentID: "buy_1", money: Money(minorUnits: 15_000, currency: .usd)))
            #expect(paid.status == .succeeded && paid.tokens == 49_999_950 && paid.spendID == "rsp_buy_1")
            let short = try await service.redeem(
                RewardRedeem(customerID: "c_7", paymentID: "buy_2", money: Money(minorUnits: 20_000, currency: .usd)))
            #expect(short.status == .declined && short.code == "insufficient_rewards")
            let back = try await service.redeemRefund(
                RewardRedeemRefund(
                    spendID: "rsp_buy_1", money: Money(minorUnits: 20_000, currency: .usd), refundKey: "buy_1:refund:1")
            )
            #expect(back.tokens == 49_999_950, "never more than was spent")
            let again = try await service.redeemRefund(
                RewardRedeemRefund(
                    spendID: "rsp_buy_1", money: Money(minorUnits: 20_000, currency: .usd), refundKey: "buy_1:refund:1")
            )
            #expect(again.tokens == 49_999_950, "the same refund key credits once")
            #expect(try await store.balance(customerID: "c_7").released == 99_999_900)
            await #expect(throws: RewardError.unknownPurchase("rsp_nothing")) {
                _ = try await service.redeemRefund(
                    RewardRedeemRefund(
                        spendID: "rsp_nothing", money: Money(minorUnits: 1, currency: .usd), refundKey: "k"))
            }
        }
    }

    @Test("direct actions refuse bad input by name and write nothing: a wallet that is not an address, a bad amount")
    func badInput() async throws {
        try await RedisServer.with { redis in
            let (service, store) = service(redis)
            let handler = RewardHandler(service: service)
            let context = InvocationContext(
                requestID: "r1", deadline: .now + .seconds(10), logger: logger, functionName: "reward",
                configuration: FunctionConfiguration([:]))
            func call(_ text: String) async throws -> JSONValue {
                try #require(
                    try await handler.handle(try JSONParser().parse(Array(text.utf8)), context: context).value
                        as? JSONValue)
            }
            for (text, field) in [
                (#"{"action": "wallet.save", "customer_id": "c_7", "wallet": "0OIl"}"#, "wallet"),
                (#"{"action": "wallet.save", "customer_id": "c_7", "wallet": "2NEpo7TZRRrLZSi2U"}"#, "wallet"),
                (
                    #"{"action": "redeem", "customer_id": "c_7", "payment_id": "p", "amount": 1.5, "currency": "USD"}"#,
                    "amount"
                ),
                (
                    #"{"action": "redeem", "customer_id": "c_7", "payment_id": "p", "amount": -5, "currency": "USD"}"#,
                    "amount"
                ),
                (#"{"action": "spend", "customer_id": "c_7", "payment_id": "p", "amount": 5}"#, "amount"),
                (#"{"action": "mint-everything"}"#, "action"),
            ] {
                do {
                    _ = try await call(text)
                    Issue.record("accepted: \(text)")
                } catch let error as FunctionError {
                    #expect(error.field == field, "\(text): \(error)")
                }
            }
            #expect(try await store.wallet(customerID: "c_7") == nil, "nothing written")
            let saved = try await call(
                #"{"action": "wallet.save", "customer_id": "c_7", "wallet": "HQfAiT7odSA6z7TorH3RDenENkbmAKUtTbYSCGHYrYch"}"#
            )
            #expect(saved["wallet"]?.stringValue == "HQfAiT7odSA6z7TorH3RDenENkbmAKUtTbYSCGHYrYch")
        }
    }
}
