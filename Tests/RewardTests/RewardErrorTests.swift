import FunctionKit
import RewardFunction
import SmartPayCore
import Testing

@Suite("reward: its domain errors answer the statuses and messages the harness answered before")
struct RewardErrorTests {
    @Test(
        "each RewardError maps to its FunctionError once, at the harness",
        arguments: [
            (
                RewardError.illegalMove(from: .canceled, to: .released), 409,
                "a canceled reward cannot become released", "status"
            ),
            (
                RewardError.invalidRules(nil, "expected a JSON object"), 422, "REWARD_RULES: expected a JSON object",
                "REWARD_RULES"
            ),
            (
                RewardError.invalidRules("daily_cap", "expected a decimal string of tokens"), 422,
                "REWARD_RULES.daily_cap: expected a decimal string of tokens", "REWARD_RULES.daily_cap"
            ),
            (RewardError.unpayableCurrency("KWD"), 422, "currency: rewards cannot pay in KWD", "currency"),
            (
                RewardError.notARewardsSpend(), 422,
                "spend_id: expected rsp_… and an amount in a currency with a rate", "spend_id"
            ),
            (RewardError.unknownPurchase("rsp_x"), 404, "no such rewards purchase rsp_x", nil),
            (
                RewardError.noWallet(customerID: "c_8"), 409,
                "customer c_8 has no Solana wallet; save one with wallet.save", "wallet"
            ),
        ] as [(RewardError, Int, String, String?)])
    func maps(error: RewardError, status: Int, message: String, field: String?) {
        let mapped = FunctionError(wrapping: error)
        #expect(mapped.code.httpStatus == status)
        #expect(mapped.message == message)
        #expect(mapped.field == field)
        #expect(error.description == message)
    }

    @Test("the rules, the escrow and the service throw RewardError, not the harness's type")
    func thrownByTheDomain() throws {
        #expect(throws: RewardError.invalidRules("hold_seconds", "expected a non-negative integer")) {
            _ = try RewardRules(json: try JSONParser().parse(Array(#"{"hold_seconds": -1}"#.utf8)))
        }
        #expect(throws: RewardError.invalidRules("category_multipliers", "expected an object of decimal strings")) {
            _ = try RewardRules(json: try JSONParser().parse(Array(#"{"category_multipliers": 2}"#.utf8)))
        }
        var reward = Reward(
            paymentID: "p", customerID: "c", merchantID: "m", amount: 1, releaseAt: Timestamp.now())
        #expect(throws: RewardError.illegalMove(from: .pending, to: .released)) {
            try reward.move(to: .released, reason: "skipping the mint")
        }
        #expect(reward.status == .pending, "nothing changes")
    }
}
