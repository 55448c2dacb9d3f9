import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents

/// The watcher of on-chain pay-ins: a `payment.chain.watch` event, delivered by the bus after the gateway's watch
/// interval, looks at the chain once and writes what it saw together with the next look (or the outcome), in one
/// versioned commit. The event carries the watch's sequence number: a duplicate delivery, or a look after the
/// payment moved on (canceled by the customer, say), changes nothing.
extension PayService {
    public static let watchDetailType = PaymentChainWatch.detailType

    /// The next look for a payment that waits on a chain, or nil.
    func watchEvent(for payment: Payment) throws -> ScheduledEvents? {
        guard payment.status == .requiresAction, let chain = payment.chain, chain.state != .confirmed,
            let gateway = payment.gateway.flatMap({ gateways[$0] }) as? any ConfirmingGateway
        else { return nil }
        let event = try OutgoingEvent(
            source: Self.eventSource, PaymentChainWatch(paymentID: payment.id, watch: chain.watch),
            resources: [payment.id])
        return ScheduledEvents(
            [event], at: Timestamp.now().adding(milliseconds: gateway.watchInterval.wholeMilliseconds))
    }

    /// One look at the chain for the payment; what it found.
    /// - Returns: the chain state after the look, or nil when the event was stale (nothing done).
    public func watch(paymentID: String, sequence: Int, logger: Logger) async throws -> ChainPayment? {
        guard var payment = try await store.load(paymentID),
            payment.status == .requiresAction, let chain = payment.chain, chain.watch == sequence,
            let gateway = payment.gateway.flatMap({ gateways[$0] }) as? any ConfirmingGateway
        else { return nil }
        let version = payment.version
        var observed: ChainPayment
        do {
            observed = try await gateway.observe(chain)
        } catch {
            // The node could not be asked: look again later, unchanged.
            logger.warning(
                "chain watch failed", metadata: ["payment_id": .string(paymentID), "error": .string("\(error)")])
            observed = chain
        }
        observed.watch = sequence + 1
        var events: [OutgoingEvent] = []
        if observed.state == .confirmed {
            payment.chain = observed
            payment.gatewayReference = observed.signature ?? payment.gatewayReference
            payment.nextAction = nil
            try payment.transition(
                to: .succeeded, actor: "gateway:\(gateway.name)",
                reason: "transfer \(observed.signature ?? "?") confirmed (\(observed.required))")
        } else if observed.state == .awaiting && Timestamp.now() >= observed.expiresAt {
            observed.move(to: .expired, "no transfer arrived by \(observed.expiresAt)")
            payment.chain = observed
            payment.nextAction = nil
            try payment.transition(
                to: .canceled, actor: "platform", reason: "expired: no transfer arrived by \(observed.expiresAt)")
            events = [try Self.canceledEvent(payment)]
        } else {
            payment.chain = observed
        }
        payment.updated = .now()
        do {
            _ = try await finish(
                &payment, expectedVersion: version, completing: nil, caller: Caller(audience: .merchant),
                events: events)
        } catch let error as PaymentError where error.isConflict {
            return nil  // another writer (a cancel, a duplicate look) came first
        }
        return observed
    }

    static func canceledEvent(_ payment: Payment) throws -> OutgoingEvent {
        try OutgoingEvent(
            source: eventSource,
            PaymentCanceled(
                paymentID: payment.id, merchantID: payment.merchantID, customerID: payment.customerID,
                amount: payment.amount, currency: payment.currency,
                reason: payment.history.last?.reason ?? "canceled"),
            resources: [payment.id])
    }
}
