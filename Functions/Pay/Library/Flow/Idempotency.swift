import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// What the caller gets back: a JSON body and its HTTP status, and whether it was replayed from an idempotency key.
public struct PayAnswer: Sendable {
    public var status: Int
    public var body: JSONValue
    public var replayed: Bool
}

/// Idempotency around the flow: a key claims the request; a retry gets the stored answer or waits for the first.
extension PayService {
    /// Runs `action` for a new payment id under the request's idempotency key (Stripe's semantics: the same key
    /// with the same parameters gets the first answer, with others a 400 naming the difference, while the first
    /// runs a 409 after a wait). A failure before anything was written frees the key and the spending reservation.
    func idempotently(
        _ request: PaymentRequest, caller: Caller, requestID: String,
        _ action: (_ paymentID: String, _ completing: IdempotencyRecord?) async throws -> Payment
    ) async throws -> PayAnswer {
        let paymentID = Identifier.random(prefix: "pay").rawValue
        guard let key = request.idempotencyKey else {
            do {
                let payment = try await action(paymentID, nil)
                return PayAnswer(status: 201, body: PaymentView.render(payment, for: caller), replayed: false)
            } catch {
                await undo(request, paymentID: paymentID, claim: nil)
                throw error
            }
        }
        let claim = IdempotencyRecord(
            scope: caller.idempotencyScope(merchantID: request.merchantID), key: key, state: .inProgress,
            fingerprint: request.fingerprint, parameters: request.parameters, requestID: requestID,
            paymentID: paymentID)
        if let existing = try await store.beginIdempotent(claim) {
            return try await replay(existing, claim: claim)
        }
        do {
            var done = claim
            done.state = .completed
            done.httpStatus = 201
            let payment = try await action(paymentID, done)
            return PayAnswer(status: 201, body: PaymentView.render(payment, for: caller), replayed: false)
        } catch {
            await undo(request, paymentID: paymentID, claim: claim)
            throw error
        }
    }

    /// After a failed request: when no record of the payment was written, nothing was charged (the record is
    /// written before the first gateway call), so the spending reservation and the idempotency key are freed and
    /// a retry runs afresh. When a record exists, both stay: the retry waits for, or finds, that payment.
    func undo(_ request: PaymentRequest, paymentID: String, claim: IdempotencyRecord?) async {
        let written: Payment?
        do {
            written = try await store.load(paymentID)
        } catch {
            return
        }
        guard written == nil else { return }
        try? await store.releaseSpend(customerID: request.customerID, money: request.money, paymentID: paymentID)
        if let claim {
            try? await store.releaseIdempotent(scope: claim.scope, key: claim.key, requestID: claim.requestID)
        }
    }

    /// The answer for a key that was used before: the stored answer, or a wait for the first request.
    func replay(_ existing: IdempotencyRecord, claim: IdempotencyRecord) async throws -> PayAnswer {
        guard existing.fingerprint == claim.fingerprint else {
            let field = PaymentRequest.difference(existing.parameters, claim.parameters) ?? "the parameters"
            throw PaymentError.idempotencyMismatch(key: claim.key, field: field)
        }
        var record = existing
        let deadline = ContinuousClock.now + settings.idempotencyWait
        while record.state == .inProgress {
            guard ContinuousClock.now < deadline else {
                throw PaymentError.idempotencyInProgress(key: claim.key)
            }
            try await Task.sleep(for: .milliseconds(20))
            guard
                let fresh = try await store.idempotencyRecord(scope: claim.scope, key: claim.key)
            else {
                // The first request failed before charging and freed the key: this one may run it now.
                throw PaymentError.unavailable(
                    "the first request with Idempotency-Key \(claim.key) failed before charging; retry it")
            }
            record = fresh
        }
        return PayAnswer(status: record.httpStatus ?? 200, body: record.response ?? .null, replayed: true)
    }
}
