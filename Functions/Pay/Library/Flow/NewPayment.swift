import FunctionKit
import SmartPayCore

/// The flow's first step: the merchant's and customer's profiles, and the payment they make.
extension PayService {
    /// The two profiles in parallel: two round trips on the hot path, not one after the other.
    func profiles(of request: PaymentRequest) async throws -> (MerchantProfile, CustomerProfile?) {
        async let merchantProfile = store.merchant(request.merchantID)
        async let customerProfile = store.customer(request.customerID)
        return (try await merchantProfile ?? defaultMerchant(request.merchantID), try await customerProfile)
    }

    /// A payment waiting for its method to be charged, with the merchant's fee.
    func newPayment(_ request: PaymentRequest, id: String, merchant: MerchantProfile, caller: Caller) throws
        -> Payment
    {
        let fee: Int64
        do {
            fee = try merchant.fee(on: request.money)
        } catch {
            throw PaymentError.invalid("amount", error.description)
        }
        var payment = Payment(
            id: id, money: request.money, customerID: request.customerID, merchantID: request.merchantID,
            paymentMethod: request.paymentMethod, fee: fee, description: request.description,
            metadata: request.metadata, idempotencyKey: request.idempotencyKey, createdBy: caller.actor)
        payment.merchantCategory = merchant.category
        return payment
    }
}
