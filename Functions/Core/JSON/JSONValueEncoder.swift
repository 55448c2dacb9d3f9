/// Encodes `Encodable` values into a `JSONValue` without going through text: what a typed bus event's detail or a
/// typed answer becomes before it is enveloped. Keys become snake_case by default, as `JSONValueDecoder` reads them.
public struct JSONValueEncoder: Sendable {
    public enum KeyStrategy: Sendable {
        case useDefaultKeys
        /// `customerId` is written as `customer_id` (the words of `JSONEncoder.convertToSnakeCase`).
        case convertToSnakeCase
    }

    public var keyStrategy: KeyStrategy

    public init(keyStrategy: KeyStrategy = .convertToSnakeCase) {
        self.keyStrategy = keyStrategy
    }

    /// - Throws: `EncodingError.invalidValue` for a non-finite floating-point number, naming its path.
    public func encode(_ value: some Encodable) throws -> JSONValue {
        try Impl.box(value, codingPath: [], strategy: keyStrategy).resolved
    }

    /// A value being built: a leaf, or an object or array whose members are still being written.
    final class Node {
        var leaf: JSONValue = .null
        var members: [String: Node]?
        var elements: [Node]?

        init(_ leaf: JSONValue = .null) { self.leaf = leaf }

        var resolved: JSONValue {
            if let members { return .object(members.mapValues(\.resolved)) }
            if let elements { return .array(elements.map(\.resolved)) }
            return leaf
        }
    }

    final class Impl: Encoder {
        let node: Node
        let codingPath: [any CodingKey]
        let strategy: KeyStrategy
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init(node: Node, codingPath: [any CodingKey], strategy: KeyStrategy) {
            self.node = node
            self.codingPath = codingPath
            self.strategy = strategy
        }

        static func box(_ value: some Encodable, codingPath: [any CodingKey], strategy: KeyStrategy) throws -> Node {
            switch value {
            case let json as JSONValue: return Node(json)
            case let text as String: return Node(.string(text))
            case let flag as Bool: return Node(.bool(flag))
            case let number as Int: return Node(.number(String(number)))
            case let number as Int64: return Node(.number(String(number)))
            default:
                let node = Node()
                try value.encode(to: Impl(node: node, codingPath: codingPath, strategy: strategy))
                return node
            }
        }

        func key(_ key: some CodingKey) -> String {
            switch strategy {
            case .useDefaultKeys: key.stringValue
            case .convertToSnakeCase: snakeCase(key.stringValue)
            }
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
            if node.members == nil { node.members = [:] }
            return KeyedEncodingContainer(KeyedContainer<Key>(encoder: self))
        }

        func unkeyedContainer() -> any UnkeyedEncodingContainer {
            if node.elements == nil { node.elements = [] }
            return UnkeyedContainer(encoder: self)
        }

        func singleValueContainer() -> any SingleValueEncodingContainer { SingleValue(encoder: self) }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let encoder: Impl
        var codingPath: [any CodingKey] { encoder.codingPath }

        mutating func encodeNil(forKey key: Key) throws { encoder.node.members?[encoder.key(key)] = Node(.null) }

        mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
            encoder.node.members?[encoder.key(key)] = try Impl.box(
                value, codingPath: codingPath + [key], strategy: encoder.strategy)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy keyType: NestedKey.Type, forKey key: Key
        ) -> KeyedEncodingContainer<NestedKey> {
            let child = Impl(node: Node(), codingPath: codingPath + [key], strategy: encoder.strategy)
            encoder.node.members?[encoder.key(key)] = child.node
            return child.container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
            let child = Impl(node: Node(), codingPath: codingPath + [key], strategy: encoder.strategy)
            encoder.node.members?[encoder.key(key)] = child.node
            return child.unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder { encoder }
        mutating func superEncoder(forKey key: Key) -> any Encoder {
            let child = Impl(node: Node(), codingPath: codingPath + [key], strategy: encoder.strategy)
            encoder.node.members?[encoder.key(key)] = child.node
            return child
        }
    }

    struct UnkeyedContainer: UnkeyedEncodingContainer {
        let encoder: Impl
        var codingPath: [any CodingKey] { encoder.codingPath }
        var count: Int { encoder.node.elements?.count ?? 0 }

        private var nextKey: any CodingKey { IndexKey(count) }

        mutating func encodeNil() throws { encoder.node.elements?.append(Node(.null)) }

        mutating func encode<T: Encodable>(_ value: T) throws {
            let node = try Impl.box(value, codingPath: codingPath + [nextKey], strategy: encoder.strategy)
            encoder.node.elements?.append(node)
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
            -> KeyedEncodingContainer<NestedKey>
        {
            let child = Impl(node: Node(), codingPath: codingPath + [nextKey], strategy: encoder.strategy)
            encoder.node.elements?.append(child.node)
            return child.container(keyedBy: keyType)
        }

        mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
            let child = Impl(node: Node(), codingPath: codingPath + [nextKey], strategy: encoder.strategy)
            encoder.node.elements?.append(child.node)
            return child.unkeyedContainer()
        }

        mutating func superEncoder() -> any Encoder {
            let child = Impl(node: Node(), codingPath: codingPath + [nextKey], strategy: encoder.strategy)
            encoder.node.elements?.append(child.node)
            return child
        }
    }

    struct SingleValue: SingleValueEncodingContainer {
        let encoder: Impl
        var codingPath: [any CodingKey] { encoder.codingPath }

        private func set(_ value: JSONValue) { encoder.node.leaf = value }

        mutating func encodeNil() throws { set(.null) }
        mutating func encode(_ value: Bool) throws { set(.bool(value)) }
        mutating func encode(_ value: String) throws { set(.string(value)) }
        mutating func encode(_ value: Double) throws {
            guard value.isFinite else {
                throw EncodingError.invalidValue(
                    value, .init(codingPath: codingPath, debugDescription: "\(value) is not a JSON number"))
            }
            set(.number(value == value.rounded(.towardZero) && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"))
        }
        mutating func encode(_ value: Float) throws { try encode(Double(value)) }
        mutating func encode(_ value: Int) throws { set(.number(String(value))) }
        mutating func encode(_ value: Int8) throws { set(.number(String(value))) }
        mutating func encode(_ value: Int16) throws { set(.number(String(value))) }
        mutating func encode(_ value: Int32) throws { set(.number(String(value))) }
        mutating func encode(_ value: Int64) throws { set(.number(String(value))) }
        mutating func encode(_ value: UInt) throws { set(.number(String(value))) }
        mutating func encode(_ value: UInt8) throws { set(.number(String(value))) }
        mutating func encode(_ value: UInt16) throws { set(.number(String(value))) }
        mutating func encode(_ value: UInt32) throws { set(.number(String(value))) }
        mutating func encode(_ value: UInt64) throws { set(.number(String(value))) }
        mutating func encode<T: Encodable>(_ value: T) throws {
            let node = try Impl.box(value, codingPath: codingPath, strategy: encoder.strategy)
            encoder.node.leaf = node.leaf
            encoder.node.members = node.members
            encoder.node.elements = node.elements
        }
    }

    struct IndexKey: CodingKey {
        let intValue: Int?
        var stringValue: String { "\(intValue ?? 0)" }
        init(_ index: Int) { self.intValue = index }
        init?(stringValue: String) { nil }
        init?(intValue: Int) { self.intValue = intValue }
    }
}
