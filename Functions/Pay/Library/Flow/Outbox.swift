import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// The outbox: the payment, its event and the idempotency outcome in one atomic write.
extension PayService {
    /// The last write of a request: the payment, its event, and the idempotency outcome together. Retried a few
    /// times, because a charge has happened and must not be lost.
    func finish(
        _ payment: inout Payment, expectedVersion: Int, completing: IdempotencyRecord?, caller: Caller,
        events extra: [OutgoingEvent] = []
    ) async throws -> Payment {
        let events = try Self.events(for: payment) + extra
        let later = try watchEvent(for: payment)
        // The stored answer is the payment as written (its version one up), rendered once for every try.
        var outcome = completing
        if outcome != nil {
            var view = payment
            view.version = expectedVersion + 1
            outcome?.response = PaymentView.render(view, for: caller)
        }
        for attempt in 0..<4 {
            if attempt > 0 { try? await Task.sleep(for: .milliseconds(50 << attempt)) }
            do {
                let written = try await store.commit(
                    payment, expectedVersion: expectedVersion, events: events, later: later, completing: outcome)
                payment = written
                return written
            } catch let error as PaymentStoreError {
                throw PaymentError.conflict(error.description)
            } catch {
                continue  // the store did not answer: try again, the charge must not be lost
            }
        }
        throw PaymentError.unavailable("the payment store is unavailable; payment \(payment.id) was not recorded")
    }

    static func events(for payment: Payment) throws -> [OutgoingEvent] {
        let status: PaymentProcessed.Status
        switch payment.status {
        case .succeeded: status = .succeeded
        case .failed: status = .failed
        default: return []
        }
        let last = payment.attempts.last
        let detail = PaymentProcessed(
            paymentID: payment.id, merchantID: payment.merchantID, customerID: payment.customerID,
            amount: payment.amount, currency: payment.currency, status: status, fee: payment.fee, net: payment.net,
            paymentMethod: payment.paymentMethod.type.rawValue,
            processorError: last.map { $0.outcome == "processor_error" || $0.outcome == "timeout" } ?? false,
            attempts: payment.attempts.count, decisionID: payment.decisionID,
            merchantCategory: payment.merchantCategory, gateway: payment.gateway, latencyMs: last?.latencyMs,
            risk: payment.risk.map { RiskSummary(score: $0.score, tier: $0.tier) },
            failureCode: payment.failure?.code, failureSource: payment.failure?.source)
        return [try OutgoingEvent(source: eventSource, detail, resources: [payment.id])]
    }
}
