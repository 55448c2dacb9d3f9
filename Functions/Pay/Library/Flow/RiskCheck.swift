import FunctionKit
import SmartPayCore

/// The risk step: fraud's verdict, and what the merchant's policy does with a high one.
extension PayService {
    /// Asks fraud (a fraud function that cannot answer is `unavailable`: nothing has happened yet); medium is
    /// flagged, high is declined unless the merchant reviews high-risk payments.
    /// - Returns: false when the payment was declined here.
    func assessRisk(_ payment: inout Payment, request: PaymentRequest, merchant: MerchantProfile) async throws -> Bool {
        let verdict = try await risk.assess(payment, request: request)
        payment.risk = verdict
        payment.flagged = verdict.tier == .medium
        guard verdict.tier == .high && merchant.highRisk == .decline else { return true }
        try payment.fail(
            "fraud_declined", "declined by risk checks (score \(verdict.score), tier high)", source: "fraud")
        return false
    }

    /// The merchant's policy holds high-risk payments for review instead of declining them.
    /// - Returns: true when the payment is held (it waits for an action, nothing is charged).
    func holdForReview(_ payment: inout Payment) throws -> Bool {
        guard payment.risk?.tier == .high else { return false }
        try payment.transition(to: .requiresAction, actor: "fraud", reason: "high risk: held for the merchant's review")
        payment.nextAction = .object(["type": .string("risk_review")])
        return true
    }
}
