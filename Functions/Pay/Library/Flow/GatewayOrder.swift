import FunctionKit
import Logging
import SmartPayCore

/// The routing step: which gateways may charge the payment, in which order.
extension PayService {
    /// The candidates for the method and currency, ordered by route's decision (its id kept for the feedback).
    /// Routing is an optimisation: without it, the candidates in their fixed order; rewards are never routed.
    /// - Returns: the order, or nil when no gateway can charge the payment (it failed here).
    func gatewayOrder(_ payment: inout Payment, request: PaymentRequest, merchant: MerchantProfile, logger: Logger)
        async throws -> [String]?
    {
        let candidates = gateways.candidates(for: request.paymentMethod, currency: request.money.currency)
        guard !candidates.isEmpty else {
            try payment.fail(
                "no_gateway",
                "no configured gateway can charge a \(request.paymentMethod.type.rawValue) payment in \(request.money.currency.code)",
                source: "platform")
            return nil
        }
        guard request.paymentMethod.type != .rewards else { return candidates }
        let country = request.country ?? merchant.country ?? settings.defaultCountry
        var order: [String]
        do {
            let choice = try await router.route(
                payment, request: request, candidates: candidates, country: country, category: merchant.category)
            payment.decisionID = choice.decisionID
            order = [choice.gateway] + choice.fallbacks
        } catch {
            logger.warning("route unavailable, static order", metadata: ["error": .string("\(error)")])
            order = candidates
        }
        order = order.reduce(into: []) { list, name in
            if candidates.contains(name) && !list.contains(name) { list.append(name) }
        }
        return order.isEmpty ? candidates : order
    }
}
