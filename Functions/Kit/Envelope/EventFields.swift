import SmartPayCore

/// The members of an event's JSON object, read field by field with errors that name the field: what a handler
/// whose event is a `JSONValue` uses instead of repeating the same checks. Core's reader, throwing `FunctionError`.
public typealias EventFields = JSONFields<FunctionError>

extension JSONFields where Failure == FunctionError {
    /// - Throws: `FunctionError.invalidRequest` ("expected a JSON object with `what`") for anything but an object,
    ///   and from each reader `FunctionError.validation` naming the field.
    public init(_ value: JSONValue, what: String) throws(FunctionError) {
        try self.init(value, what: what, failure: FunctionError.init(fieldError:))
    }
}

extension FunctionError {
    /// A field's error as a validation error naming it (422); with no field, malformed input (400).
    public init(fieldError error: JSONFieldError) {
        guard let field = error.field else {
            self.init(.invalidRequest, error.message)
            return
        }
        self = .validation(field, error.message)
    }
}
