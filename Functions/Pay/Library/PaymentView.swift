import SmartPayCore

/// A payment as the API answers it. Merchants (and the platform) see the fee, the net, each gateway attempt and
/// the history; customers see their payment without the platform's fee or the processing details.
public enum PaymentView {
    public static func render(_ payment: Payment, for caller: Caller) -> JSONValue {
        var method: [String: JSONValue] = ["type": .string(payment.paymentMethod.type.rawValue)]
        if let network = payment.paymentMethod.network { method["network"] = .string(network) }
        if let chain = payment.paymentMethod.chain { method["chain"] = .string(chain) }
        if let asset = payment.paymentMethod.asset { method["asset"] = .string(asset) }
        var body: [String: JSONValue] = [
            "id": .string(payment.id), "object": .string("payment"), "status": .string(payment.status.rawValue),
            "amount": .number(String(payment.amount)), "currency": .string(payment.currency.code),
            "customer_id": .string(payment.customerID), "merchant_id": .string(payment.merchantID),
            "payment_method": .object(method), "gateway": payment.gateway.map(JSONValue.string) ?? .null,
            "next_action": payment.nextAction ?? .null,
            "amount_refunded": .number(String(payment.amountRefunded)),
            "metadata": .object(payment.metadata.mapValues(JSONValue.string)),
            "created": .string(payment.created.description), "updated": .string(payment.updated.description),
            "risk": payment.risk.map { risk($0, reasons: false) } ?? .null,
            "flagged": .bool(payment.flagged),
        ]
        if let description = payment.description { body["description"] = .string(description) }
        if let failure = payment.failure {
            body["failure"] = .object(["code": .string(failure.code), "message": .string(failure.message)])
        }
        if !payment.refunds.isEmpty {
            body["refunds"] = .array(
                payment.refunds.map {
                    .object([
                        "id": .string($0.id), "amount": .number(String($0.amount)),
                        "created": .string($0.at.description),
                    ])
                })
        }
        if let chain = payment.chain { body["onchain"] = onchain(chain) }
        guard caller.audience == .merchant else { return .object(body) }
        body["fee"] = .number(String(payment.fee))
        body["net"] = .number(String(payment.net))
        body["decision_id"] = payment.decisionID.map(JSONValue.string) ?? .null
        body["gateway_reference"] = payment.gatewayReference.map(JSONValue.string) ?? .null
        body["risk"] = payment.risk.map { risk($0, reasons: true) } ?? .null
        body["attempts"] = .array(payment.attempts.map(attempt))
        body["history"] = .array(
            payment.history.map {
                .object([
                    "from": $0.from.map { .string($0.rawValue) } ?? .null, "to": .string($0.to.rawValue),
                    "at": .string($0.at.description), "actor": .string($0.actor), "reason": .string($0.reason),
                ])
            })
        return .object(body)
    }

    /// An on-chain pay-in's transfer and its depth.
    static func onchain(_ chain: ChainPayment) -> JSONValue {
        var fields: [String: JSONValue] = [
            "chain": .string(chain.chain), "state": .string(chain.state.rawValue),
            "reference": .string(chain.reference), "recipient": .string(chain.recipient),
            "amount": .number(String(chain.amount)), "required": .string(chain.required.description),
            "signature": chain.signature.map(JSONValue.string) ?? .null,
            "confirmations": chain.confirmations.map { .number(String($0)) } ?? .null,
            "expires_at": .string(chain.expiresAt.description),
        ]
        if let mint = chain.mint { fields["mint"] = .string(mint) }
        return .object(fields)
    }

    /// One gateway attempt, for the merchant.
    static func attempt(_ attempt: Payment.Attempt) -> JSONValue {
        var entry: [String: JSONValue] = [
            "number": .number(String(attempt.number)), "gateway": .string(attempt.gateway),
            "outcome": .string(attempt.outcome), "latency_ms": .number(String(attempt.latencyMs)),
            "idempotency_key": .string(attempt.idempotencyKey), "at": .string(attempt.at.description),
        ]
        if let code = attempt.errorCode { entry["error_code"] = .string(code) }
        if let reference = attempt.reference { entry["reference"] = .string(reference) }
        return .object(entry)
    }

    /// Score and tier for everyone; the reasons (which features pushed the score) for the merchant.
    static func risk(_ risk: Payment.Risk, reasons: Bool) -> JSONValue {
        var fields: [String: JSONValue] = ["score": .number(String(risk.score)), "tier": .string(risk.tier.rawValue)]
        if reasons { fields["reasons"] = .array(risk.reasons.map(JSONValue.string)) }
        return .object(fields)
    }
}
