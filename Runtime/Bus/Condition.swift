import SmartPayCore

/// One condition of a pattern leaf.
enum Condition: Sendable {
    case exact(JSONValue)
    case prefix(String, ignoreCase: Bool)
    case suffix(String, ignoreCase: Bool)
    case equalsIgnoreCase(String)
    case anythingBut(AnythingBut)
    case numeric([(Comparison, Double)])
    case exists(Bool)
    case wildcard(Wildcard)
    case cidr(CIDR)

    enum Comparison: String, Sendable {
        case less = "<", lessOrEqual = "<=", equal = "=", greaterOrEqual = ">=", greater = ">"

        func holds(_ value: Double, _ bound: Double) -> Bool {
            switch self {
            case .less: value < bound
            case .lessOrEqual: value <= bound
            case .equal: value == bound
            case .greaterOrEqual: value >= bound
            case .greater: value > bound
            }
        }
    }

    enum AnythingBut: Sendable {
        case values([JSONValue])
        case prefix(String)
        case suffix(String)
        case equalsIgnoreCase([String])
        case wildcard([Wildcard])
    }

    /// Whether a leaf's conditions accept a field that is present (`value`) or absent (nil).
    ///
    /// A pattern's leaf looks at the event's leaf values at that path, as EventBridge's engine flattens an event:
    /// the value itself, or the leaves of an array (nested arrays included). An object, an empty array or an array
    /// of objects puts no leaf there, so `exists: true` does not match it and `exists: false` does ("exists matching
    /// only works on leaf nodes").
    static func leafMatches(_ conditions: [Condition], _ value: JSONValue?) -> Bool {
        let leaves: [JSONValue]
        switch value {
        case nil, .object?: leaves = []
        case .array(let items)?:
            var collected: [JSONValue] = []
            for item in items { collectLeaves(item, into: &collected) }
            leaves = collected
        case let scalar?:
            return conditions.contains { if case .exists(let wanted) = $0 { wanted } else { $0.matches(scalar) } }
        }
        guard !leaves.isEmpty else {
            return conditions.contains { if case .exists(false) = $0 { true } else { false } }
        }
        return conditions.contains { condition in
            if case .exists(let wanted) = condition { return wanted }
            return leaves.contains { condition.matches($0) }
        }
    }

    private static func collectLeaves(_ value: JSONValue, into leaves: inout [JSONValue]) {
        switch value {
        case .object: return
        case .array(let items): for item in items { collectLeaves(item, into: &leaves) }
        default: leaves.append(value)
        }
    }

    /// Whether this condition accepts one leaf value.
    func matches(_ value: JSONValue) -> Bool {
        switch self {
        case .exact(let expected): return Self.equal(expected, value)
        case .prefix(let prefix, let ignoreCase):
            guard let text = value.stringValue else { return false }
            return ignoreCase ? text.lowercased().hasPrefix(prefix.lowercased()) : text.hasPrefix(prefix)
        case .suffix(let suffix, let ignoreCase):
            guard let text = value.stringValue else { return false }
            return ignoreCase ? text.lowercased().hasSuffix(suffix.lowercased()) : text.hasSuffix(suffix)
        case .equalsIgnoreCase(let expected):
            guard let text = value.stringValue else { return false }
            return text.lowercased() == expected.lowercased()
        case .anythingBut(let excluded):
            switch excluded {
            case .values(let values):
                return !values.contains { Self.equal($0, value) }
            case .prefix(let prefix):
                guard let text = value.stringValue else { return false }
                return !text.hasPrefix(prefix)
            case .suffix(let suffix):
                guard let text = value.stringValue else { return false }
                return !text.hasSuffix(suffix)
            case .equalsIgnoreCase(let values):
                guard let text = value.stringValue?.lowercased() else { return false }
                return !values.contains { $0.lowercased() == text }
            case .wildcard(let patterns):
                guard let text = value.stringValue else { return false }
                return !patterns.contains { $0.matches(text) }
            }
        case .numeric(let comparisons):
            guard case .number(let text) = value, let number = Double(text) else { return false }
            return comparisons.allSatisfy { $0.0.holds(number, $0.1) }
        case .exists(let wanted):
            return wanted
        case .wildcard(let pattern):
            guard let text = value.stringValue else { return false }
            return pattern.matches(text)
        case .cidr(let range):
            guard let text = value.stringValue, let address = IPAddress(text) else { return false }
            return range.contains(address)
        }
    }

    static func equal(_ a: JSONValue, _ b: JSONValue) -> Bool {
        if case .number(let x) = a, case .number(let y) = b { return Double(x) == Double(y) }
        return a == b
    }

    // MARK: - compiling

    static func compile(_ value: JSONValue, path: String) throws(EventPatternError) -> Condition {
        switch value {
        case .string, .number, .bool, .null: return .exact(value)
        case .array: throw EventPatternError(path, "a condition cannot be an array")
        case .object(let members):
            guard members.count == 1, let (name, argument) = members.first else {
                if members.keys.sorted() == ["numeric"] { break }
                throw EventPatternError(
                    path, "a condition object has exactly one operator, got \(members.keys.sorted())")
            }
            switch name {
            case "prefix", "suffix":
                let (text, ignoreCase) = try caseArgument(argument, path: "\(path).\(name)")
                return name == "prefix" ? .prefix(text, ignoreCase: ignoreCase) : .suffix(text, ignoreCase: ignoreCase)
            case "equals-ignore-case":
                guard let text = argument.stringValue else {
                    throw EventPatternError("\(path).\(name)", "expected a string")
                }
                return .equalsIgnoreCase(text)
            case "anything-but": return .anythingBut(try anythingBut(argument, path: "\(path).anything-but"))
            case "numeric": return .numeric(try numeric(argument, path: "\(path).numeric"))
            case "exists":
                guard case .bool(let wanted) = argument else {
                    throw EventPatternError("\(path).exists", "expected true or false")
                }
                return .exists(wanted)
            case "wildcard":
                guard let text = argument.stringValue else {
                    throw EventPatternError("\(path).wildcard", "expected a string")
                }
                return .wildcard(try Wildcard(text, path: "\(path).wildcard"))
            case "cidr":
                guard let text = argument.stringValue, let range = CIDR(text) else {
                    throw EventPatternError(
                        "\(path).cidr", "expected a CIDR block such as 10.0.0.0/24, got \(argument.briefDescription)")
                }
                return .cidr(range)
            default:
                throw EventPatternError(path, "unknown operator \"\(name)\"")
            }
        }
        throw EventPatternError(path, "unreachable")
    }

    private static func caseArgument(_ argument: JSONValue, path: String) throws(EventPatternError) -> (String, Bool) {
        if let text = argument.stringValue { return (text, false) }
        if case .object(let inner) = argument, inner.count == 1, let text = inner["equals-ignore-case"]?.stringValue {
            return (text, true)
        }
        throw EventPatternError(path, "expected a string or {\"equals-ignore-case\": string}")
    }

    private static func anythingBut(_ argument: JSONValue, path: String) throws(EventPatternError) -> AnythingBut {
        switch argument {
        case .string, .number, .bool, .null: return .values([argument])
        case .array(let items):
            guard !items.isEmpty else { throw EventPatternError(path, "expected at least one value") }
            for item in items {
                switch item {
                case .string, .number: continue
                default: throw EventPatternError(path, "a list holds strings or numbers, got \(item.briefDescription)")
                }
            }
            return .values(items)
        case .object(let inner):
            guard inner.count == 1, let (name, value) = inner.first else {
                throw EventPatternError(path, "expected one of prefix, suffix, equals-ignore-case, wildcard")
            }
            switch name {
            case "prefix", "suffix":
                guard let text = value.stringValue else {
                    throw EventPatternError("\(path).\(name)", "expected a string")
                }
                return name == "prefix" ? .prefix(text) : .suffix(text)
            case "equals-ignore-case":
                if let text = value.stringValue { return .equalsIgnoreCase([text]) }
                if case .array(let items) = value, !items.isEmpty, items.allSatisfy({ $0.stringValue != nil }) {
                    return .equalsIgnoreCase(items.compactMap(\.stringValue))
                }
                throw EventPatternError("\(path).\(name)", "expected a string or a list of strings")
            case "wildcard":
                if let text = value.stringValue { return .wildcard([try Wildcard(text, path: "\(path).wildcard")]) }
                if case .array(let items) = value, !items.isEmpty {
                    var patterns: [Wildcard] = []
                    for item in items {
                        guard let text = item.stringValue else {
                            throw EventPatternError("\(path).wildcard", "expected strings")
                        }
                        patterns.append(try Wildcard(text, path: "\(path).wildcard"))
                    }
                    return .wildcard(patterns)
                }
                throw EventPatternError("\(path).wildcard", "expected a string or a list of strings")
            default:
                throw EventPatternError(path, "unknown anything-but operator \"\(name)\"")
            }
        }
    }

    private static func numeric(_ argument: JSONValue, path: String) throws(EventPatternError) -> [(Comparison, Double)]
    {
        guard case .array(let items) = argument, items.count == 2 || items.count == 4 else {
            throw EventPatternError(
                path, "expected [operator, number] or [lower operator, number, upper operator, number]")
        }
        var comparisons: [(Comparison, Double)] = []
        var index = 0
        while index < items.count {
            guard let symbol = items[index].stringValue, let comparison = Comparison(rawValue: symbol) else {
                throw EventPatternError(path, "expected one of < <= = >= >, got \(items[index].briefDescription)")
            }
            guard case .number(let text) = items[index + 1], let bound = Double(text) else {
                throw EventPatternError(
                    path, "expected a number after \(symbol), got \(items[index + 1].briefDescription)")
            }
            comparisons.append((comparison, bound))
            index += 2
        }
        if comparisons.count == 2 {
            let lower: Set<Comparison> = [.greater, .greaterOrEqual]
            let upper: Set<Comparison> = [.less, .lessOrEqual]
            guard lower.contains(comparisons[0].0), upper.contains(comparisons[1].0),
                comparisons[0].1 < comparisons[1].1
            else {
                throw EventPatternError(path, "a range is a lower bound (> or >=) then a larger upper bound (< or <=)")
            }
        }
        return comparisons
    }
}

/// A wildcard pattern: `*` matches any run of characters; `\*` is a literal star.
struct Wildcard: Sendable {
    enum Piece: Sendable {
        case literal([UInt8])
        case star
    }

    let pieces: [Piece]

    init(_ text: String, path: String) throws(EventPatternError) {
        var pieces: [Piece] = []
        var literal: [UInt8] = []
        var escaped = false
        for byte in text.utf8 {
            if escaped {
                literal.append(byte)
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "*") {
                if case .star? = pieces.last, literal.isEmpty {
                    throw EventPatternError(path, "consecutive wildcard characters are not allowed")
                }
                if !literal.isEmpty { pieces.append(.literal(literal)) }
                literal = []
                pieces.append(.star)
            } else {
                literal.append(byte)
            }
        }
        if escaped { throw EventPatternError(path, "a trailing backslash escapes nothing") }
        if !literal.isEmpty { pieces.append(.literal(literal)) }
        self.pieces = pieces
    }

    func matches(_ text: String) -> Bool {
        Self.match(pieces[...], Array(text.utf8)[...])
    }

    private static func match(_ pieces: ArraySlice<Piece>, _ text: ArraySlice<UInt8>) -> Bool {
        guard let first = pieces.first else { return text.isEmpty }
        switch first {
        case .literal(let bytes):
            guard text.starts(with: bytes) else { return false }
            return match(pieces.dropFirst(), text.dropFirst(bytes.count))
        case .star:
            let rest = pieces.dropFirst()
            if rest.isEmpty { return true }
            var start = text.startIndex
            while start <= text.endIndex {
                if match(rest, text[start...]) { return true }
                start += 1
            }
            return false
        }
    }
}
