import SmartPayCore

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
        if let why = JSONFieldRules.textViolation(value, maximum: maximum) {
            throw FunctionError.validation(field, why)
        }
    }

    /// `text` when present.
    public static func text(_ value: String?, _ field: String, maximum: Int = 128) throws(FunctionError) {
        if let value { try text(value, field, maximum: maximum) }
    }

    /// An ISO 3166 alpha-2 country code when present.
    public static func country(_ value: String?, _ field: String) throws(FunctionError) {
        if let value, let why = JSONFieldRules.countryViolation(value) { throw FunctionError.validation(field, why) }
    }

    /// More than zero minor units (or tokens).
    public static func positive(_ value: Int64, _ field: String) throws(FunctionError) {
        guard value > 0 else { throw FunctionError.validation(field, "must be positive, got \(value)") }
    }
}
