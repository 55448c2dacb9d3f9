import FunctionKit
import SmartPayCore

/// The compliance step: the customer's KYC level and its limits.
extension PayService {
    /// Counts the payment in the customer's rolling window. Over a limit (or at a level without limits) the payment
    /// fails and nothing is charged.
    /// - Returns: false when the payment failed here.
    func checkCompliance(_ payment: inout Payment, request: PaymentRequest, customer: CustomerProfile?) async throws
        -> Bool
    {
        let money = request.money
        let level = customer?.kycLevel ?? compliance.defaultLevel
        guard let limits = compliance.limits(level: level, currency: money.currency) else {
            try payment.fail(
                "kyc_level_unknown", "the customer's KYC level \(level) has no limits configured", source: "compliance")
            return false
        }
        let check = try await store.reserveSpend(
            customerID: request.customerID, money: money, paymentID: payment.id, limits: limits, now: payment.created)
        switch check {
        case .reserved:
            return true
        case .overTransactionLimit(let limit):
            try payment.fail(
                "transaction_limit_exceeded",
                "\(money) is over the \(level) KYC level's per-transaction limit of \(Money(minorUnits: limit, currency: money.currency))",
                source: "compliance")
        case .overDailyLimit(let limit, let spent):
            let currency = money.currency
            try payment.fail(
                "daily_limit_exceeded",
                "\(money) would bring the last 24 hours to \(Money(minorUnits: spent + money.minorUnits, currency: currency)), over the \(level) KYC level's limit of \(Money(minorUnits: limit, currency: currency))",
                source: "compliance")
        }
        return false
    }
}
