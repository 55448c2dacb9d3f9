import SmartPayCore
import SmartPayInvoke

/// Rewards as a payment method: the reward function debits the customer's released tokens for the payment, once per
/// payment and never below zero (its Lua spend), invoked through the Lambda endpoint like fraud and route. Not
/// enough tokens is the customer's decline (`insufficient_rewards`); a reward function that cannot be reached is a
/// processor error. A refund credits the tokens back, once per refund key.
public struct RewardsGateway: PaymentGateway {
    public let name = "rewards"
    public let invoker: LambdaInvoker
    public let function: String
    public let timeout: Duration

    public init(invoker: LambdaInvoker, function: String = "reward", timeout: Duration = .seconds(3)) {
        self.invoker = invoker
        self.function = function
        self.timeout = timeout
    }

    public func accepts(_ method: PaymentMethodDetails, currency: Currency) -> Bool {
        method.type == .rewards && currency.isISO4217
    }

    public func charge(_ charge: ChargeRequest) async throws(GatewayError) -> ChargeResult {
        let answer = try await call([
            "action": .string("redeem"), "customer_id": .string(charge.customerID),
            "payment_id": .string(charge.paymentID), "amount": .number(String(charge.money.minorUnits)),
            "currency": .string(charge.money.currency.code),
        ])
        if answer["status"]?.stringValue == "declined" {
            return .declined(
                reference: nil, code: answer["code"]?.stringValue ?? "insufficient_rewards",
                message: answer["message"]?.stringValue ?? "not enough reward tokens")
        }
        guard let reference = answer["spend_id"]?.stringValue else {
            throw GatewayError(.processorError, gateway: name, message: "the reward function answered without a spend")
        }
        return .succeeded(reference: reference)
    }

    public func refund(reference: String, amount: Money, idempotencyKey: String) async throws(GatewayError) -> String {
        let answer = try await call([
            "action": .string("redeem.refund"), "spend_id": .string(reference),
            "amount": .number(String(amount.minorUnits)), "currency": .string(amount.currency.code),
            "refund_key": .string(idempotencyKey),
        ])
        guard let id = answer["credit_id"]?.stringValue else {
            throw GatewayError(.processorError, gateway: name, message: "the reward function answered without a credit")
        }
        return id
    }

    /// Nothing waits at the reward function: a rewards payment succeeds or is declined at once.
    public func cancel(reference: String, idempotencyKey: String) async throws(GatewayError) {}

    func call(_ payload: [String: JSONValue]) async throws(GatewayError) -> JSONValue {
        let result: LambdaInvoker.Result
        do {
            result = try await invoker.invoke(
                function, payload: JSONValue.object(payload).serialized(), timeout: timeout)
        } catch {
            throw GatewayError(.processorError, gateway: name, message: "\(function) could not be invoked: \(error)")
        }
        let answer = (try? JSONParser().parse(result.payload)) ?? .null
        if result.functionError != nil {
            let kind: GatewayError.Kind =
                answer["errorType"]?.stringValue?.contains("validation") == true ? .invalidRequest : .processorError
            throw GatewayError(
                kind, gateway: name, code: answer["errorType"]?.stringValue,
                message: answer["errorMessage"]?.stringValue ?? "the reward function failed")
        }
        return answer
    }
}
