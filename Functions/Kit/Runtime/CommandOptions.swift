#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A command line that is wrong: a function binary's tool commands (`fraud evaluate`, `route ope`) exit 2 with it.
public struct CommandUsageError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `--name value` (or `--name=value`) options of a tool command, each given at most once.
public struct CommandOptions: Sendable {
    public let values: [String: String]

    /// - Throws: `CommandUsageError` for a bare argument, a missing value or a repeated option.
    public init(_ arguments: [String]) throws(CommandUsageError) {
        var values: [String: String] = [:]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.hasPrefix("--"), argument.count > 2 else {
                throw CommandUsageError("unexpected argument \"\(argument)\" (options are --name value)")
            }
            var name = String(argument.dropFirst(2))
            let value: String
            if let equals = name.firstIndex(of: "=") {
                value = String(name[name.index(after: equals)...])
                name = String(name[..<equals])
            } else {
                guard index + 1 < arguments.count else { throw CommandUsageError("--\(name) needs a value") }
                index += 1
                value = arguments[index]
            }
            guard values[name] == nil else { throw CommandUsageError("--\(name) is given twice") }
            values[name] = value
            index += 1
        }
        self.values = values
    }

    public subscript(name: String) -> String? { values[name] }

    /// - Throws: `CommandUsageError` naming an option outside `names`.
    public func allow(_ names: Set<String>) throws(CommandUsageError) {
        if let unknown = values.keys.sorted().first(where: { !names.contains($0) }) {
            throw CommandUsageError(
                "unknown option --\(unknown) (known: \(names.sorted().map { "--" + $0 }.joined(separator: ", ")))")
        }
    }

    public func required(_ name: String) throws(CommandUsageError) -> String {
        guard let value = values[name], !value.isEmpty else { throw CommandUsageError("--\(name) is required") }
        return value
    }

    public func integer(_ name: String, default fallback: Int, minimum: Int) throws(CommandUsageError) -> Int {
        guard let text = values[name] else { return fallback }
        guard let value = Int(text), value >= minimum else {
            throw CommandUsageError("--\(name): expected an integer ≥ \(minimum), got \"\(text)\"")
        }
        return value
    }

    /// One line on standard error.
    public static func printError(_ message: String) {
        let bytes = Array((message + "\n").utf8)
        _ = bytes.withUnsafeBytes { write(2, $0.baseAddress!, $0.count) }
    }
}
