import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A function's configuration: its environment variables (as the template's `Environment` sets them), read once
/// at start. Secrets come from here or from a file it names — never from an event.
public struct FunctionConfiguration: Sendable {
    public let values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// The process environment.
    public static func fromEnvironment() -> FunctionConfiguration {
        var values: [String: String] = [:]
        var cursor = environ
        while let entry = cursor.pointee {
            let text = String(cString: entry)
            if let equals = text.firstIndex(of: "=") {
                values[String(text[..<equals])] = String(text[text.index(after: equals)...])
            }
            cursor += 1
        }
        return FunctionConfiguration(values)
    }

    public subscript(key: String) -> String? { values[key] }

    /// A value that is set and not empty (an empty variable means "not set", as in a template's `""`).
    public func string(_ key: String) -> String? {
        guard let value = values[key], !value.isEmpty else { return nil }
        return value
    }

    /// A secret from `{name}_FILE` (a path, read here) or from `{name}` itself; nil when neither is set.
    /// - Throws: `FunctionError.invalidRequest` naming the file setting when the file cannot be read (never the
    ///   secret).
    public func secret(_ name: String) throws(FunctionError) -> String? {
        if let file = string(name + "_FILE") {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw FunctionError(.invalidRequest, "\(name)_FILE: cannot read \(file)")
            }
            return String(decoding: data, as: UTF8.self)
        }
        return string(name)
    }

    /// A required value.
    /// - Throws: `FunctionError.internal` naming the missing variable, and saying who provides it: a binary run
    ///   alone has none of the settings the template gives it.
    public func require(_ key: String) throws(FunctionError) -> String {
        guard let value = values[key], !value.isEmpty else {
            throw FunctionError(
                .internal,
                "configuration \(key) is not set; `smartpay invoke FUNCTION --event FILE` runs a function with the "
                    + "settings the template gives it and the services it needs (or set \(key) yourself)")
        }
        return value
    }

    /// An integer value, or `default` when unset.
    /// - Throws: `FunctionError.internal` when set but not an integer.
    public func integer(_ key: String, default fallback: Int) throws(FunctionError) -> Int {
        guard let text = values[key] else { return fallback }
        guard let value = Int(text) else {
            throw FunctionError(.internal, "configuration \(key) must be an integer, got \"\(text)\"")
        }
        return value
    }
}
