/// A body with rules beyond its types (a non-empty id, a positive amount): the harness checks them right after
/// decoding, so a route only ever sees a valid body.
public protocol ValidatedBody {
    /// - Throws: `FunctionError.validation` naming the first field that breaks a rule.
    func validate() throws(FunctionError)
}

/// The rules most bodies share, each naming its field.
public enum FieldRule {
    /// 1 to `maximum` characters without control characters.
    public static func text(_ value: String, _ field: String, maximum: Int = 128) throws(FunctionError) {
        guard !value.isEmpty, value.count <= maximum else {
            throw FunctionError.validation(field, "expected 1 to \(maximum) characters, got \(value.count)")
        }
        guard !value.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw FunctionError.validation(field, "must not contain control characters")
        }
    }

    /// `text` when present.
    public static func text(_ value: String?, _ field: String, maximum: Int = 128) throws(FunctionError) {
        if let value { try text(value, field, maximum: maximum) }
    }

    /// An ISO 3166 alpha-2 country code when present.
    public static func country(_ value: String?, _ field: String) throws(FunctionError) {
        guard let value else { return }
        guard value.utf8.count == 2, value.utf8.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
            throw FunctionError.validation(field, "expected an ISO 3166 alpha-2 country code, got \"\(value)\"")
        }
    }

    /// More than zero minor units (or tokens).
    public static func positive(_ value: Int64, _ field: String) throws(FunctionError) {
        guard value > 0 else { throw FunctionError.validation(field, "must be positive, got \(value)") }
    }
}
