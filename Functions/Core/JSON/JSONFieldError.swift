/// A JSON object's member that breaks a rule (`amount: expected an integer number of minor units, got "5"`), or a
/// value that is not an object at all.
public struct JSONFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The member to blame; nil when the value is not an object.
    public let field: String?
    /// What is wrong, without the field's name.
    public let message: String

    public var description: String { field.map { "\($0): \(message)" } ?? message }

    public init(_ field: String?, _ message: String) {
        self.field = field
        self.message = message
    }
}
