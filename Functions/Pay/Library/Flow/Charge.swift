import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

/// Charging with failover.
extension PayService {
    /// Tries the gateways in order until one answers for the customer; a processor error or timeout moves on,
    /// a decline or a refused request (a bad token) ends it. A timed-out attempt is asked once more with the same
    /// idempotency key first, so that a charge that did happen is found instead of made again elsewhere.
    func charge(_ payment: inout Payment, order: [String], logger: Logger) async {
        var lastError: GatewayError?
        for name in order {
            guard let gateway = gateways[name] else { continue }
            let number = payment.attempts.count + 1
            let key = "\(payment.id):attempt:\(number)"
            let request = ChargeRequest(
                paymentID: payment.id, idempotencyKey: key, money: payment.money, method: payment.paymentMethod,
                customerID: payment.customerID, merchantID: payment.merchantID, description: payment.description)
            payment.gateway = name
            let started = ContinuousClock.now
            let result = await Self.attempt(gateway, request)
            let latency = Int((ContinuousClock.now - started).wholeMilliseconds)
            switch result {
            case .success(let outcome):
                Self.apply(outcome, to: &payment, gateway: gateway, request: request, latency: latency)
                return
            case .failure(let error):
                payment.record(name, number, key, error.kind.rawValue, latency, error.code, nil)
                logger.warning(
                    "gateway attempt failed",
                    metadata: [
                        "payment_id": .string(payment.id), "gateway": .string(name),
                        "error": .string(error.description),
                    ])
                lastError = error
            }
            if let lastError, !lastError.isRetriable { break }
        }
        let error = lastError
        try? payment.fail(
            error?.kind == .invalidRequest ? (error?.code ?? "invalid_request") : "processor_unavailable",
            error.map { "no gateway could charge the payment; last: \($0.description)" }
                ?? "no gateway could charge the payment",
            source: "gateway")
    }

    /// One charge, asked once more with the same key after a timeout.
    static func attempt(_ gateway: any PaymentGateway, _ request: ChargeRequest) async -> Result<
        ChargeResult, GatewayError
    > {
        var result: Result<ChargeResult, GatewayError>
        do { result = .success(try await gateway.charge(request)) } catch { result = .failure(error) }
        if case .failure(let error) = result, error.kind == .timeout {
            do { result = .success(try await gateway.charge(request)) } catch { result = .failure(error) }
        }
        return result
    }

    /// The gateway's answer written into the payment: its attempt, its reference and the state it leads to.
    static func apply(
        _ outcome: ChargeResult, to payment: inout Payment, gateway: any PaymentGateway, request: ChargeRequest,
        latency: Int
    ) {
        let (name, number, key) = (gateway.name, payment.attempts.count + 1, request.idempotencyKey)
        switch outcome {
        case .succeeded(let reference):
            payment.record(name, number, key, "succeeded", latency, nil, reference)
            payment.gatewayReference = reference
            try? payment.transition(to: .succeeded, actor: "gateway:\(name)", reason: "charged")
        case .requiresAction(let reference, let nextAction):
            payment.record(name, number, key, "requires_action", latency, nil, reference)
            payment.gatewayReference = reference
            payment.nextAction = nextAction
            if let confirming = gateway as? any ConfirmingGateway { payment.chain = try? confirming.pending(request) }
            try? payment.transition(to: .requiresAction, actor: "gateway:\(name)", reason: "the customer must act")
        case .processing(let reference):
            payment.record(name, number, key, "processing", latency, nil, reference)
            payment.gatewayReference = reference
        case .declined(let reference, let code, let message):
            payment.record(name, number, key, "declined", latency, code, reference)
            payment.gatewayReference = reference
            try? payment.fail(code, message, source: "gateway", actor: "gateway:\(name)")
        }
    }
}
