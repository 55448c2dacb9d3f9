import SmartPayCore

/// The members of an event's JSON object, read field by field with errors that name the field: what a handler
/// whose event is a `JSONValue` uses instead of repeating the same checks (strings, minor units, currencies,
/// countries, booleans, numbers).
public struct EventFields: Sendable {
    public let members: [String: JSONValue]

    /// - Throws: `FunctionError.invalidRequest` ("expected a JSON object with `what`") for anything but an object.
    public init(_ value: JSONValue, what: String) throws(FunctionError) {
        guard case .object(let members) = value else {
            throw FunctionError(.invalidRequest, "expected a JSON object with \(what)")
        }
        self.members = members
    }

    public subscript(name: String) -> JSONValue? { members[name] }

    /// True when the member is there and not null.
    public func has(_ name: String) -> Bool { members[name].map { !$0.isNull } ?? false }

    /// A string of 1 to `maximum` characters without control characters; nil when absent or null and not required.
    public func string(_ name: String, required: Bool = false, maximum: Int = 128) throws(FunctionError) -> String? {
        guard let value = members[name], !value.isNull else {
            if required { throw FunctionError.validation(name, "is required") }
            return nil
        }
        guard let text = value.stringValue else {
            throw FunctionError.validation(name, "expected a string, got \(value.briefDescription)")
        }
        guard !text.isEmpty, text.count <= maximum else {
            throw FunctionError.validation(name, "expected 1 to \(maximum) characters, got \(text.count)")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw FunctionError.validation(name, "must not contain control characters")
        }
        return text
    }

    /// A required integer number of minor units (any sign: the caller decides which are allowed).
    public func minorUnits(_ name: String) throws(FunctionError) -> Int64 {
        guard let value = members[name], !value.isNull else {
            throw FunctionError.validation(name, "is required (an integer number of minor units)")
        }
        guard case .number(let text) = value, let minorUnits = Int64(text) else {
            throw FunctionError.validation(
                name, "expected an integer number of minor units, got \(value.briefDescription)")
        }
        return minorUnits
    }

    /// A required ISO 4217 currency.
    public func currency(_ name: String = "currency") throws(FunctionError) -> Currency {
        let code = try string(name, required: true, maximum: 8)!
        do {
            return try Currency(code: code)
        } catch {
            throw FunctionError.validation(name, error.description)
        }
    }

    /// An ISO 3166 alpha-2 country, upper-cased.
    public func country(_ name: String, required: Bool = false) throws(FunctionError) -> String? {
        guard let text = try string(name, required: required) else { return nil }
        guard text.utf8.count == 2, text.utf8.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
            throw FunctionError.validation(name, "expected an ISO 3166 alpha-2 country code, got \"\(text)\"")
        }
        return text.uppercased()
    }

    /// true or false; nil when absent or null.
    public func bool(_ name: String) throws(FunctionError) -> Bool? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .bool(let flag) = value else { throw FunctionError.validation(name, "expected true or false") }
        return flag
    }

    /// A number; nil when absent or null.
    public func number(_ name: String) throws(FunctionError) -> Double? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .number(let text) = value, let number = Double(text) else {
            throw FunctionError.validation(name, "expected a number, got \(value.briefDescription)")
        }
        return number
    }

    /// An array of strings; nil when absent or null.
    public func strings(_ name: String) throws(FunctionError) -> [String]? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .array(let items) = value, items.allSatisfy({ $0.stringValue != nil }) else {
            throw FunctionError.validation(name, "expected an array of strings")
        }
        return items.compactMap(\.stringValue)
    }
}
