import SmartPayCore

/// One function's request to another, invoked directly (the Lambda Invoke API) with its `action`: the type the
/// caller encodes and the callee's route decodes, with the answer's type beside it.
public protocol FunctionCall: Codable, Sendable {
    associatedtype Answer: Codable & Sendable
    /// The callee's direct action (`redeem`).
    static var action: String { get }
}

extension FunctionCall {
    /// The invocation's payload: the request with its `action`.
    /// - Throws: `EncodingError` for a value JSON cannot hold (a non-finite number).
    public func payload() throws -> JSONValue {
        guard case .object(var members) = try JSONValueEncoder().encode(self) else {
            return .object(["action": .string(Self.action)])
        }
        members["action"] = .string(Self.action)
        return .object(members)
    }
}
