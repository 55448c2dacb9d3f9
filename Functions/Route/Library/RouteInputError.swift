import SmartPayCore

/// A payment context, outcome or log line that route cannot use, naming the field: `method: expected card, wallet
/// or crypto, got "cheque"`, or input that is not a JSON object at all.
public struct RouteInputError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Equatable {
        case malformed(description: String)
        case field(name: String, reason: String)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// A field that breaks a rule (missing, of the wrong type, out of range).
    public init(_ field: String, _ reason: String) { self.init(.field(name: field, reason: reason)) }

    /// Input that is not a JSON object with `what` ("the payment context").
    public static func notAnObject(_ what: String) -> RouteInputError {
        RouteInputError(.malformed(description: "expected a JSON object with \(what)"))
    }

    /// A field's error from Core's reader; with no field, input that is not an object.
    public init(_ error: JSONFieldError) {
        guard let field = error.field else {
            self.init(.malformed(description: error.message))
            return
        }
        self.init(field, error.message)
    }

    /// The field to blame; nil when the input is not an object.
    public var field: String? {
        guard case .field(let name, _) = kind else { return nil }
        return name
    }

    /// True when the input is not of the shape asked for at all (not an object), rather than a field breaking a rule.
    public var isMalformed: Bool { field == nil }

    public var description: String {
        switch kind {
        case .malformed(let description): description
        case .field(let name, let reason): "\(name): \(reason)"
        }
    }
}
