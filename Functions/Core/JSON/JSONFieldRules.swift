/// The rules `JSONFields` applies to a string member, for a value already decoded (a `Codable` body's field).
public enum JSONFieldRules {
    /// Why `text` is not 1 to `maximum` characters without control characters; nil when it is.
    public static func textViolation(_ text: String, maximum: Int) -> String? {
        guard !text.isEmpty, text.count <= maximum else {
            return "expected 1 to \(maximum) characters, got \(text.count)"
        }
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            return "must not contain control characters"
        }
        return nil
    }

    /// Why `text` is not an ISO 3166 alpha-2 country code (either case); nil when it is.
    public static func countryViolation(_ text: String) -> String? {
        guard text.utf8.count == 2, text.utf8.allSatisfy({ (65...90).contains($0) || (97...122).contains($0) }) else {
            return "expected an ISO 3166 alpha-2 country code, got \"\(text)\""
        }
        return nil
    }
}
