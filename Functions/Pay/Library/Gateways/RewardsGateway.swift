import SmartPayContracts
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
        let request = RewardRedeem(customerID: charge.customerID, paymentID: charge.paymentID, money: charge.money)
        let answer = try decode(RewardRedeem.self, from: try await invoke(try payload(request)))
        switch answer.status {
        case .declined:
            return .declined(
                reference: nil, code: answer.code ?? "insufficient_rewards",
                message: answer.message ?? "not enough reward tokens")
        case .succeeded:
            guard let reference = answer.spendID else {
                throw GatewayError(
                    .processorError, gateway: name, message: "the reward function answered without a spend")
            }
            return .succeeded(reference: reference)
        }
    }

    public func refund(reference: String, amount: Money, idempotencyKey: String) async throws(GatewayError) -> String {
        let request = RewardRedeemRefund(spendID: reference, money: amount, refundKey: idempotencyKey)
        return try decode(RewardRedeemRefund.self, from: try await invoke(try payload(request))).creditID
    }

    /// Nothing waits at the reward function: a rewards payment succeeds or is declined at once.
    public func cancel(reference: String, idempotencyKey: String) async throws(GatewayError) {}

    /// The invocation's payload for a call. (Calls are written and read by synchronous generic helpers around one
    /// non-generic async invoke: a generic async function with typed throws crashed the release build's coroutine
    /// splitting.)
    func payload<Call: FunctionCall>(_ request: Call) throws(GatewayError) -> [UInt8] {
        do {
            return try request.payload().serialized()
        } catch {
            throw GatewayError(.invalidRequest, gateway: name, message: "\(Call.action) could not be written: \(error)")
        }
    }

    func invoke(_ payload: [UInt8]) async throws(GatewayError) -> [UInt8] {
        let result: LambdaInvoker.Result
        do {
            result = try await invoker.invoke(function, payload: payload, timeout: timeout)
        } catch {
            throw GatewayError(.processorError, gateway: name, message: "\(function) could not be invoked: \(error)")
        }
        if result.functionError != nil {
            let answer = (try? JSONParser().parse(result.payload)) ?? .null
            // The request's own fault (the harness's ValidationError / InvalidRequest) is not the processor's.
            let refused = ["ValidationError", "InvalidRequest"].contains(answer["errorType"]?.stringValue ?? "")
            let kind: GatewayError.Kind = refused ? .invalidRequest : .processorError
            throw GatewayError(
                kind, gateway: name, code: answer["errorType"]?.stringValue,
                message: answer["errorMessage"]?.stringValue ?? "the reward function failed")
        }
        return result.payload
    }

    func decode<Call: FunctionCall>(_ call: Call.Type, from payload: [UInt8]) throws(GatewayError) -> Call.Answer {
        do {
            return try JSONValueDecoder().decode(Call.Answer.self, from: payload)
        } catch {
            throw GatewayError(
                .processorError, gateway: name, message: "the reward function's answer to \(Call.action): \(error)")
        }
    }
}
