import SmartPayCore

extension Payment {
    mutating func fail(_ code: String, _ message: String, source: String, actor: String? = nil) throws(PaymentError) {
        failure = Failure(code: code, message: message, source: source)
        try transition(to: .failed, actor: actor ?? source, reason: "\(code): \(message)")
    }

    mutating func record(
        _ gateway: String, _ number: Int, _ key: String, _ outcome: String, _ latency: Int, _ code: String?,
        _ reference: String?
    ) {
        attempts.append(
            Attempt(
                number: number, gateway: gateway, outcome: outcome, latencyMs: latency, errorCode: code,
                reference: reference, idempotencyKey: key, at: .now()))
    }
}
