/// The members of a JSON object, read field by field, each error naming its field: strings, minor units,
/// currencies, countries, booleans, numbers.
///
/// A reader throws its caller's error type: `failure` turns each `JSONFieldError` into it (the Kit's `EventFields`
/// throws `FunctionError`, route's readers `RouteInputError`), so a domain reads its input without the harness.
public struct JSONFields<Failure: Error>: Sendable {
    public let members: [String: JSONValue]
    private let failure: @Sendable (JSONFieldError) -> Failure

    /// - Parameters:
    ///   - what: what the object is, for the error when it is not one ("the payment context").
    ///   - failure: the caller's error for a field's (or, with a nil field, the value's) error.
    /// - Throws: `failure` of "expected a JSON object with `what`" for anything but an object.
    public init(
        _ value: JSONValue, what: String, failure: @escaping @Sendable (JSONFieldError) -> Failure
    ) throws(Failure) {
        guard case .object(let members) = value else {
            throw failure(JSONFieldError(nil, "expected a JSON object with \(what)"))
        }
        self.members = members
        self.failure = failure
    }

    public subscript(name: String) -> JSONValue? { members[name] }

    /// True when the member is there and not null.
    public func has(_ name: String) -> Bool { members[name].map { !$0.isNull } ?? false }

    /// A string of 1 to `maximum` characters without control characters; nil when absent or null and not required.
    public func string(_ name: String, required: Bool = false, maximum: Int = 128) throws(Failure) -> String? {
        guard let value = members[name], !value.isNull else {
            if required { throw error(name, "is required") }
            return nil
        }
        guard let text = value.stringValue else {
            throw error(name, "expected a string, got \(value.briefDescription)")
        }
        if let violation = JSONFieldRules.textViolation(text, maximum: maximum) { throw error(name, violation) }
        return text
    }

    /// `string`, required.
    public func requiredString(_ name: String, maximum: Int = 128) throws(Failure) -> String {
        guard let text = try string(name, required: true, maximum: maximum) else { throw error(name, "is required") }
        return text
    }

    /// A required integer number of minor units (any sign: the caller decides which are allowed).
    public func minorUnits(_ name: String) throws(Failure) -> Int64 {
        guard let value = members[name], !value.isNull else {
            throw error(name, "is required (an integer number of minor units)")
        }
        guard case .number(let text) = value, let minorUnits = Int64(text) else {
            throw error(name, "expected an integer number of minor units, got \(value.briefDescription)")
        }
        return minorUnits
    }

    /// A required ISO 4217 currency.
    public func currency(_ name: String = "currency") throws(Failure) -> Currency {
        let code = try requiredString(name, maximum: 8)
        do {
            return try Currency(code: code)
        } catch {
            throw self.error(name, error.description)
        }
    }

    /// An ISO 3166 alpha-2 country, upper-cased; nil when absent or null and not required.
    public func country(_ name: String, required: Bool = false) throws(Failure) -> String? {
        guard let text = try string(name, required: required) else { return nil }
        if let violation = JSONFieldRules.countryViolation(text) { throw error(name, violation) }
        return text.uppercased()
    }

    /// `country`, required.
    public func requiredCountry(_ name: String) throws(Failure) -> String {
        guard let country = try country(name, required: true) else { throw error(name, "is required") }
        return country
    }

    /// true or false; nil when absent or null.
    public func bool(_ name: String) throws(Failure) -> Bool? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .bool(let flag) = value else { throw error(name, "expected true or false") }
        return flag
    }

    /// A number; nil when absent or null.
    public func number(_ name: String) throws(Failure) -> Double? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .number(let text) = value, let number = Double(text) else {
            throw error(name, "expected a number, got \(value.briefDescription)")
        }
        return number
    }

    /// An array of strings; nil when absent or null.
    public func strings(_ name: String) throws(Failure) -> [String]? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
            throw error(name, "expected an array of strings")
        }
        return items.compactMap(\.stringValue)
    }

    private func error(_ name: String, _ message: String) -> Failure { failure(JSONFieldError(name, message)) }
}

extension JSONFields where Failure == JSONFieldError {
    /// Fields whose errors are `JSONFieldError` itself.
    /// - Throws: `JSONFieldError` with no field for anything but an object.
    public init(_ value: JSONValue, what: String) throws(JSONFieldError) {
        try self.init(value, what: what, failure: { $0 })
    }
}
