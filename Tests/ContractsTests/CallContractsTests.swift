import Foundation
import SmartPayContracts
import SmartPayCore
import TestSupport
import Testing

/// The function-to-function calls: what the caller writes is what the callee's route reads, with its action.
@Suite("Function-to-function call contracts")
struct CallContractsTests {
    static func example(_ file: String) throws -> JSONValue {
        try JSONParser().parse(
            Array(try Data(contentsOf: Executables.repositoryRoot.appendingPathComponent("events/\(file)"))))
    }

    @Test("FraudRequest: the events/fraud example round-trips; pay's own words (payment_id, merchant_id) are read")
    func fraudRequest() throws {
        let example = try Self.example("fraud/genuine.json")
        let request = try JSONValueDecoder().decode(FraudRequest.self, from: example)
        #expect(request.money == Money(minorUnits: 4250, currency: .usd) && request.cardBIN == "424242")
        #expect(try JSONValueEncoder().encode(request) == example)
        let payload = try request.payload()
        #expect(payload["action"] == "score")
        let aliased = try JSONParser().parse(
            Array(
                #"{"payment_id": "pay_1", "merchant_id": "m_42", "amount": 100, "currency": "USD", "customer_id": "c"}"#
                    .utf8))
        let read = try JSONValueDecoder().decode(FraudRequest.self, from: aliased)
        #expect(read.transactionID == "pay_1" && read.terminalID == "m_42")
    }

    @Test("FraudRequest refuses a card number, a float amount and an unknown field by name")
    func fraudRequestRefusals() throws {
        func message(_ text: String) -> String {
            do {
                _ = try JSONValueDecoder().decode(FraudRequest.self, from: try JSONParser().parse(Array(text.utf8)))
                return "accepted"
            } catch let error as DecodingError {
                return error.fieldMessage
            } catch {
                return "\(error)"
            }
        }
        let base = #""transaction_id": "t", "currency": "USD", "customer_id": "c", "terminal_id": "m""#
        #expect(message("{\(base), \"amount\": 1, \"pan\": \"4242\"}").hasPrefix("pan: card numbers are not accepted"))
        #expect(message("{\(base), \"amount\": 1.5}") == "amount: expected an integer number of minor units, got 1.5")
        #expect(message("{\(base)}") == "amount: is required (an integer number of minor units)")
        #expect(message("{\(base), \"amount\": 1, \"ammount\": 1}").hasPrefix("ammount: unknown field"))
        #expect(
            message(#"{"amount": 1, "currency": "USD", "customer_id": "c", "terminal_id": "m"}"#)
                == "transaction_id: is required")
    }

    @Test("FraudVerdict, RouteDecision and the reward calls round-trip as written")
    func answers() throws {
        let verdict = FraudVerdict(
            transactionID: "t", score: 0.25, tier: .medium, decision: .review,
            reasons: [FraudReason(code: "TX_AMOUNT", label: "amount", value: 42.5, contribution: 0.75)],
            modelVersion: "m1", cached: false)
        let written = try JSONValueEncoder().encode(verdict)
        #expect(written["transaction_id"] == "t" && written["model_version"] == "m1")
        #expect(try JSONValueDecoder().decode(FraudVerdict.self, from: written) == verdict)

        let decision = RouteDecision(
            decisionID: "rd_1", gateway: "stripe", fallbacks: ["amazon_pay"], propensity: 0.9,
            scores: ["stripe": 0.8, "amazon_pay": 0.7], explored: false, cached: false)
        #expect(
            try JSONValueDecoder().decode(RouteDecision.self, from: try JSONValueEncoder().encode(decision)) == decision
        )

        let redeem = RewardRedeem(customerID: "c_7", paymentID: "pay_1", money: Money(minorUnits: 500, currency: .usd))
        let payload = try redeem.payload()
        #expect(
            payload == [
                "action": "redeem", "customer_id": "c_7", "payment_id": "pay_1", "amount": .number("500"),
                "currency": "USD",
            ])
        guard case .object(var members) = payload else { return }
        members.removeValue(forKey: "action")
        #expect(try JSONValueDecoder().decode(RewardRedeem.self, from: .object(members)) == redeem)
        let refund = RewardRedeemRefund(
            spendID: "rsp_pay_1", money: Money(minorUnits: 5, currency: .usd), refundKey: "k")
        #expect(try refund.payload()["refund_key"] == "k")
    }
}
