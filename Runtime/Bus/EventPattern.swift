import SmartPayCore

/// An Amazon EventBridge event pattern, compiled once and matched against events.
///
/// Semantics as EventBridge documents them: every field named in the pattern must match; a leaf is an array of
/// conditions of which any may match; an array in the event matches when any element does; a nested object in the
/// pattern descends into the event. Conditions: exact values (strings, numbers compared numerically, booleans,
/// null, ""), `prefix`, `suffix` (each also with `equals-ignore-case` inside), `equals-ignore-case`,
/// `anything-but` (a value, a list, or `prefix` / `suffix` / `equals-ignore-case` / `wildcard` inside), `numeric`
/// (one or two comparisons, or `=`), `exists`, `wildcard`, `cidr`, and `$or` at any object level.
public struct EventPattern: Sendable {
    let root: ObjectNode

    /// Compiles a pattern.
    /// - Throws: `EventPatternError` naming the path and what is wrong.
    public init(_ pattern: JSONValue) throws(EventPatternError) {
        guard case .object(let members) = pattern else {
            throw EventPatternError("", "an event pattern must be a JSON object")
        }
        guard !members.isEmpty else { throw EventPatternError("", "an event pattern must name at least one field") }
        root = try ObjectNode.compile(members, path: "")
    }

    public init(text: String) throws(EventPatternError) {
        let value: JSONValue
        do {
            value = try JSONParser().parse(text)
        } catch {
            throw EventPatternError("", "not JSON: \(error.description)")
        }
        try self.init(value)
    }

    /// True when `event` matches the pattern.
    public func matches(_ event: JSONValue) -> Bool {
        root.matches(event)
    }
}

/// Why a pattern was refused: the JSON path inside the pattern and the reason.
public struct EventPatternError: Error, Sendable, CustomStringConvertible, Equatable {
    public let path: String
    public let reason: String

    init(_ path: String, _ reason: String) {
        self.path = path
        self.reason = reason
    }

    public var description: String {
        path.isEmpty ? "invalid event pattern: \(reason)" : "invalid event pattern at \(path): \(reason)"
    }
}

struct ObjectNode: Sendable {
    enum Child: Sendable {
        case object(ObjectNode)
        case leaf([Condition])
    }

    let fields: [(name: String, child: Child)]
    /// Each `$or` at this level: at least one of its alternatives must match.
    let alternatives: [[ObjectNode]]

    static func compile(_ members: [String: JSONValue], path: String) throws(EventPatternError) -> ObjectNode {
        var fields: [(String, Child)] = []
        var alternatives: [[ObjectNode]] = []
        for key in members.keys.sorted() {
            let value = members[key]!
            let here = path.isEmpty ? key : "\(path).\(key)"
            if key == "$or" {
                guard case .array(let options) = value, options.count >= 2 else {
                    throw EventPatternError(here, "$or takes an array of at least two patterns")
                }
                var nodes: [ObjectNode] = []
                for (index, option) in options.enumerated() {
                    guard case .object(let optionMembers) = option, !optionMembers.isEmpty else {
                        throw EventPatternError("\(here)[\(index)]", "each $or alternative must be a non-empty object")
                    }
                    nodes.append(try compile(optionMembers, path: "\(here)[\(index)]"))
                }
                alternatives.append(nodes)
                continue
            }
            switch value {
            case .object(let nested):
                guard !nested.isEmpty else {
                    throw EventPatternError(here, "an empty object matches nothing; name a field")
                }
                fields.append((key, .object(try compile(nested, path: here))))
            case .array(let items):
                guard !items.isEmpty else { throw EventPatternError(here, "an empty array matches nothing") }
                var conditions: [Condition] = []
                for (index, item) in items.enumerated() {
                    conditions.append(try Condition.compile(item, path: "\(here)[\(index)]"))
                }
                fields.append((key, .leaf(conditions)))
            default:
                throw EventPatternError(
                    here, "expected an array of values or conditions, or an object, got \(value.briefDescription)")
            }
        }
        return ObjectNode(fields: fields, alternatives: alternatives)
    }

    /// Matches against a value that is present (`value`) or absent (nil).
    func matches(_ value: JSONValue?) -> Bool {
        let members: [String: JSONValue]
        if case .object(let object)? = value { members = object } else { members = [:] }
        for (name, child) in fields {
            let field = members[name]
            switch child {
            case .object(let node):
                if case .array(let items)? = field {
                    guard items.contains(where: { node.matches($0) }) else { return false }
                } else if !node.matches(field) {
                    return false
                }
            case .leaf(let conditions):
                guard Condition.leafMatches(conditions, field) else { return false }
            }
        }
        for options in alternatives where !options.contains(where: { $0.matches(value) }) {
            return false
        }
        return true
    }
}
