/// A transaction or report refused by a rule beyond its types, naming the field: `amount: must not be negative`.
public struct FraudInputError: Error, Sendable, Equatable, CustomStringConvertible {
    public let field: String
    public let reason: String

    public init(_ field: String, _ reason: String) {
        self.field = field
        self.reason = reason
    }

    public var description: String { "\(field): \(reason)" }
}
