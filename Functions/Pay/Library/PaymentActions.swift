import FunctionKit
import SmartPayContracts
import SmartPayCore
import SmartPayEvents

/// One page of a customer's or merchant's payments, newest first.
public struct PaymentPage: Sendable {
    public var payments: [Payment]
    public var hasMore: Bool
}

/// Reading payments back, refunds and cancels.
extension PayService {
    /// - Throws: not-found for an unknown payment and for one the caller may not see (the same words for both).
    public func get(_ id: String, caller: Caller) async throws -> Payment {
        guard let payment = try await store.load(id), caller.mayAccess(payment) else {
            throw PaymentError.notFound(id)
        }
        return payment
    }

    /// A page of a customer's or merchant's payments, newest first, as Stripe lists: `data`, `has_more`.
    public func list(customerID: String?, merchantID: String?, limit: Int, startingAfter: String?, caller: Caller)
        async throws -> PaymentPage
    {
        let owner: PaymentOwner
        if let identity = caller.identity, !identity.isAdmin {
            if let customer = identity.customerID {
                guard customerID == nil || customerID == customer, merchantID == nil else {
                    throw PaymentError.forbidden("a customer lists their own payments only")
                }
                owner = .customer(customer)
            } else {
                let merchant = identity.merchantID ?? identity.subject
                guard merchantID == nil || merchantID == merchant, customerID == nil else {
                    throw PaymentError.forbidden("a merchant lists their own payments only (merchant_id \(merchant))")
                }
                owner = .merchant(merchant)
            }
        } else if let customerID, merchantID == nil {
            owner = .customer(customerID)
        } else if let merchantID, customerID == nil {
            owner = .merchant(merchantID)
        } else {
            throw PaymentError.invalid("customer_id", "name exactly one of customer_id and merchant_id")
        }
        guard (1...100).contains(limit) else {
            throw PaymentError.invalid("limit", "expected 1 to 100, got \(limit)")
        }
        let page = try await store.list(owner, limit: limit, startingAfter: startingAfter)
        return PaymentPage(payments: page.payments, hasMore: page.hasMore)
    }

    /// Refunds all that is left (no `amount`) or a part; the gateway refunds first, then the state and its
    /// `payment.refunded` event are written together.
    public func refund(_ id: String, amount requested: Int64?, reason: String?, caller: Caller, requestID: String)
        async throws -> Payment
    {
        if caller.audience == .customer {
            _ = try await get(id, caller: caller)
            throw PaymentError.forbidden("refunds are made by the merchant")
        }
        return try await locked(id, caller: caller, requestID: requestID) { payment in
            guard payment.status.isCaptured, payment.status != .refunded else {
                throw PaymentError.conflict(
                    payment.status == .refunded
                        ? "payment \(id) is already refunded in full"
                        : "a payment in \(payment.status.rawValue) cannot be refunded (nothing was captured)",
                    field: "status")
            }
            let remaining = payment.amount - payment.amountRefunded
            let amount = requested ?? remaining
            guard amount > 0 else { throw PaymentError.invalid("amount", "must be positive, got \(amount)") }
            guard amount <= remaining else {
                throw PaymentError.invalid(
                    "amount",
                    "\(Money(minorUnits: amount, currency: payment.money.currency)) is more than the \(Money(minorUnits: remaining, currency: payment.money.currency)) left to refund"
                )
            }
            guard let name = payment.gateway, let gateway = gateways[name], let reference = payment.gatewayReference
            else {
                throw PaymentError.conflict("payment \(id) has no gateway charge to refund")
            }
            let number = payment.refunds.count + 1
            let gatewayRefund: String
            do throws(GatewayError) {
                gatewayRefund = try await gateway.refund(
                    reference: reference, amount: Money(minorUnits: amount, currency: payment.money.currency),
                    idempotencyKey: "\(id):refund:\(number)")
            } catch {
                let message = "the refund was not made: \(error.description)"
                throw error.isRetriable ? PaymentError.unavailable(message) : PaymentError(.invalid, message)
            }
            let refundID = "re_" + String(id.dropFirst(4)) + "_\(number)"
            payment.refunds.append(
                Payment.Refund(
                    id: refundID, amount: amount, reason: reason, gatewayReference: gatewayRefund, at: .now()))
            payment.amountRefunded += amount
            let full = payment.amountRefunded == payment.amount
            try payment.transition(
                to: full ? .refunded : .partiallyRefunded, actor: caller.actor,
                reason: "refund \(refundID) of \(Money(minorUnits: amount, currency: payment.money.currency))"
                    + (reason.map { ": \($0)" } ?? ""))
            let event = try OutgoingEvent(
                source: Self.eventSource,
                PaymentRefunded(
                    paymentID: id, refundID: refundID, merchantID: payment.merchantID, customerID: payment.customerID,
                    amount: amount, currency: payment.currency, amountRefunded: payment.amountRefunded,
                    status: full ? .refunded : .partiallyRefunded, gateway: name),
                resources: [id])
            return [event]
        }
    }

    /// Cancels a payment that has not moved money: one waiting for an action (3-D Secure, review, an on-chain
    /// transfer) or not yet processing. The customer may cancel their own; the merchant theirs.
    public func cancel(_ id: String, reason: String?, caller: Caller, requestID: String) async throws -> Payment {
        try await locked(id, caller: caller, requestID: requestID) { payment in
            guard payment.status == .requiresAction || payment.status == .requiresPaymentMethod else {
                throw PaymentError.conflict(
                    "a payment in \(payment.status.rawValue) cannot be canceled"
                        + (payment.status.isCaptured ? "; refund it instead" : ""), field: "status")
            }
            if let name = payment.gateway, let gateway = gateways[name], let reference = payment.gatewayReference {
                do throws(GatewayError) {
                    try await gateway.cancel(reference: reference, idempotencyKey: "\(id):cancel")
                } catch {
                    throw PaymentError.unavailable("the gateway did not cancel: \(error.description)")
                }
            }
            payment.nextAction = nil
            try payment.transition(to: .canceled, actor: caller.actor, reason: reason ?? "canceled")
            return [try Self.canceledEvent(payment)]
        }
    }

    /// Runs `change` on the payment under its lock and writes the result with its events.
    func locked(
        _ id: String, caller: Caller, requestID: String, change: (inout Payment) async throws -> [OutgoingEvent]
    ) async throws -> Payment {
        _ = try await get(id, caller: caller)
        guard try await store.lock(id, owner: requestID) else {
            throw PaymentError.conflict("payment \(id) is being changed by another request; retry in a moment")
        }
        do {
            guard var payment = try await store.load(id) else {
                throw PaymentError.notFound(id)
            }
            let version = payment.version
            let events = try await change(&payment)
            let written = try await finish(
                &payment, expectedVersion: version, completing: nil, caller: caller, events: events)
            try? await store.unlock(id, owner: requestID)
            return written
        } catch {
            try? await store.unlock(id, owner: requestID)
            throw error
        }
    }
}

extension Caller {
    func mayAccess(_ payment: Payment) -> Bool {
        guard let identity else { return true }
        return identity.mayAccess(customerID: payment.customerID, merchantID: payment.merchantID)
    }
}
