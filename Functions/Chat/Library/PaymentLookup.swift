import FunctionKit
import SmartPayCore
import SmartPayInvoke

/// Reads a payment for the assistant: the pay function's record, or a double in tests.
public protocol PaymentLookup: Sendable {
    /// The payment as pay answers a merchant (fee, net, failure), or nil when no such payment exists.
    /// - Throws: `FunctionError.unavailable` when the payment store cannot be asked.
    func payment(id: String) async throws -> JSONValue?
    /// The caller's latest payment: a customer's (`customerID`) or a merchant's (`merchantID`).
    func latest(customerID: String?, merchantID: String?) async throws -> JSONValue?
}

/// Asks the pay function (`get`, `list`) through the Lambda Invoke API, as pay asks fraud and route.
public struct InvokedPaymentLookup: PaymentLookup {
    public let invoker: LambdaInvoker
    public let function: String

    public init(invoker: LambdaInvoker, function: String = "pay") {
        self.invoker = invoker
        self.function = function
    }

    public func payment(id: String) async throws -> JSONValue? {
        try await call(.object(["action": .string("get"), "id": .string(id)]))
    }

    public func latest(customerID: String?, merchantID: String?) async throws -> JSONValue? {
        var request: [String: JSONValue] = ["action": .string("list"), "limit": .number("1")]
        if let customerID { request["customer_id"] = .string(customerID) }
        if let merchantID { request["merchant_id"] = .string(merchantID) }
        return try await call(.object(request))?["data"]?.arrayValue?.first
    }

    private func call(_ request: JSONValue) async throws -> JSONValue? {
        let result: LambdaInvoker.Result
        do {
            result = try await invoker.invoke(function, payload: request.serialized(), timeout: .seconds(5))
        } catch {
            throw FunctionError(.unavailable, "the payment store could not be asked: \(error.description)")
        }
        let answer = (try? JSONParser().parse(result.payload)) ?? .null
        if result.functionError != nil {
            if answer["errorType"]?.stringValue == FunctionError.Code.notFound.errorType { return nil }
            throw FunctionError(.unavailable, "the payment store failed: \(answer["errorMessage"]?.stringValue ?? "?")")
        }
        return answer
    }
}
