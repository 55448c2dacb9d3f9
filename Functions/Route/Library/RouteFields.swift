import SmartPayCore

/// The members of a JSON object route reads (a payment context, an outcome), field by field, each error naming its
/// field in the words the harness's readers use, so a context reads the same in the function, `route --stdio` and
/// the offline tools.
struct RouteFields {
    let members: [String: JSONValue]

    /// - Throws: `RouteInputError.notAnObject(what)` for anything but an object.
    init(_ value: JSONValue, what: String) throws(RouteInputError) {
        guard case .object(let members) = value else { throw .notAnObject(what) }
        self.members = members
    }

    subscript(name: String) -> JSONValue? { members[name] }

    /// A string of 1 to `maximum` characters without control characters; nil when absent or null and not required.
    func string(_ name: String, required: Bool = false, maximum: Int = 128) throws(RouteInputError) -> String? {
        guard let value = members[name], !value.isNull else {
            if required { throw RouteInputError(name, "is required") }
            return nil
        }
        guard let text = value.stringValue else {
            throw RouteInputError(name, "expected a string, got \(value.briefDescription)")
        }
        guard !text.isEmpty, text.count <= maximum else {
            throw RouteInputError(name, "expected 1 to \(maximum) characters, got \(text.count)")
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw RouteInputError(name, "must not contain control characters")
        }
        return text
    }

    /// `string`, required.
    func requiredString(_ name: String, maximum: Int = 128) throws(RouteInputError) -> String {
        guard let text = try string(name, required: true, maximum: maximum) else {
            throw RouteInputError(name, "is required")
        }
        return text
    }

    /// A required integer number of minor units (any sign: the caller decides which are allowed).
    func minorUnits(_ name: String) throws(RouteInputError) -> Int64 {
        guard let value = members[name], !value.isNull else {
            throw RouteInputError(name, "is required (an integer number of minor units)")
        }
        guard case .number(let text) = value, let minorUnits = Int64(text) else {
            throw RouteInputError(name, "expected an integer number of minor units, got \(value.briefDescription)")
        }
        return minorUnits
    }

    /// A required ISO 4217 currency.
    func currency(_ name: String = "currency") throws(RouteInputError) -> Currency {
        let code = try requiredString(name, maximum: 8)
        do {
            return try Currency(code: code)
        } catch {
            throw RouteInputError(name, error.description)
        }
    }

    /// A required ISO 3166 alpha-2 country, upper-cased.
    func country(_ name: String) throws(RouteInputError) -> String {
        let text = try requiredString(name)
        guard text.utf8.count == 2, text.utf8.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
            throw RouteInputError(name, "expected an ISO 3166 alpha-2 country code, got \"\(text)\"")
        }
        return text.uppercased()
    }

    /// true or false; nil when absent or null.
    func bool(_ name: String) throws(RouteInputError) -> Bool? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .bool(let flag) = value else { throw RouteInputError(name, "expected true or false") }
        return flag
    }

    /// A number; nil when absent or null.
    func number(_ name: String) throws(RouteInputError) -> Double? {
        guard let value = members[name], !value.isNull else { return nil }
        guard case .number(let text) = value, let number = Double(text) else {
            throw RouteInputError(name, "expected a number, got \(value.briefDescription)")
        }
        return number
    }
}
