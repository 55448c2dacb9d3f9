/// Decodes `Decodable` types from a `JSONValue`, with errors that name the JSON path and what was there instead:
/// `amount: expected an integer number of minor units, got 12.5`.
public struct JSONValueDecoder: Sendable {
    /// How Swift property names map onto JSON keys.
    public enum KeyStrategy: Sendable {
        case useDefaultKeys
        /// `customerId` reads the JSON key `customer_id` (the same words as `JSONEncoder.convertToSnakeCase`).
        case convertFromSnakeCase
    }

    public var keyStrategy: KeyStrategy
    /// Whether a type whose `CodingKeys` are `CaseIterable` may meet keys it does not declare. A request refuses
    /// them (false, the default); a bus event's consumer reads past fields a producer added later (true).
    public var allowsUnknownKeys: Bool

    public init(keyStrategy: KeyStrategy = .convertFromSnakeCase, allowsUnknownKeys: Bool = false) {
        self.keyStrategy = keyStrategy
        self.allowsUnknownKeys = allowsUnknownKeys
    }

    /// Decodes `type` from an already parsed value.
    /// - Throws: `DecodingError` whose coding path and description name the field and the problem; see
    ///   `DecodingError.fieldMessage` for the one-line form.
    public func decode<T: Decodable>(_ type: T.Type, from value: JSONValue) throws -> T {
        try Impl(value: value, codingPath: [], strategy: keyStrategy, allowsUnknownKeys: allowsUnknownKeys).unbox(type)
    }

    /// Parses JSON text and decodes `type` from it.
    /// - Throws: `JSONParseError` for text that is not JSON, `DecodingError` for JSON of the wrong shape.
    public func decode<T: Decodable>(_ type: T.Type, from bytes: some Collection<UInt8>) throws -> T {
        try decode(type, from: try JSONParser().parse(bytes))
    }

    final class Impl: Decoder, RawJSONNumberDecoder {
        let value: JSONValue
        let codingPath: [any CodingKey]
        let strategy: KeyStrategy
        let allowsUnknownKeys: Bool
        var userInfo: [CodingUserInfoKey: Any] { [:] }

        init(value: JSONValue, codingPath: [any CodingKey], strategy: KeyStrategy, allowsUnknownKeys: Bool) {
            self.allowsUnknownKeys = allowsUnknownKeys
            self.value = value
            self.codingPath = codingPath
            self.strategy = strategy
        }

        func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
            guard case .object(let members) = value else {
                throw mismatch("an object")
            }
            if !allowsUnknownKeys, let known = knownKeys(Key.self),
                let unknown = members.keys.filter({ !known.contains($0) }).min()
            {
                throw UnknownFieldError(
                    path: DecodingError.jsonPath(codingPath + [JSONKey(unknown)]), known: known.sorted())
            }

            return KeyedDecodingContainer(KeyedContainer<Key>(members: members, decoder: self))
        }

        /// The JSON keys a type declares when its `CodingKeys` are `CaseIterable`: such a type refuses any other
        /// key, as a payment API refuses an unknown parameter (`amuont` beside `amount`).
        func knownKeys<Key: CodingKey>(_ type: Key.Type) -> Set<String>? {
            guard let iterable = type as? any CaseIterable.Type else { return nil }
            func names<C: CaseIterable>(_: C.Type) -> Set<String> {
                Set(C.allCases.compactMap { ($0 as? any CodingKey).map { jsonKey($0.stringValue) } })
            }
            return names(iterable)
        }

        func jsonKey(_ name: String) -> String {
            switch strategy {
            case .useDefaultKeys: name
            case .convertFromSnakeCase: snakeCase(name)
            }
        }

        func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
            guard case .array(let elements) = value else { throw mismatch("an array") }
            return UnkeyedContainer(elements: elements, decoder: self)
        }

        func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

        func decodeRawNumber() throws -> String {
            guard case .number(let text) = value else { throw mismatch("a number") }
            return text
        }

        func mismatch(_ expected: String) -> DecodingError {
            if value == .null {
                return .valueNotFound(
                    Any.self, .init(codingPath: codingPath, debugDescription: "expected \(expected), got null"))
            }
            return .typeMismatch(
                Any.self,
                .init(codingPath: codingPath, debugDescription: "expected \(expected), got \(value.briefDescription)"))
        }

        func unbox<T: Decodable>(_ type: T.Type) throws -> T {
            if type == JSONValue.self { return value as! T }
            return try T(from: self)
        }

        func child(_ value: JSONValue, key: any CodingKey) -> Impl {
            Impl(value: value, codingPath: codingPath + [key], strategy: strategy, allowsUnknownKeys: allowsUnknownKeys)
        }

        func integer<I: FixedWidthInteger>(_ type: I.Type) throws -> I {
            guard case .number(let text) = value else { throw mismatch("an integer") }
            if let integer = I(text) { return integer }
            let integral = !text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" })
            let message =
                integral
                ? "expected an integer between \(I.min) and \(I.max), got \(text)"
                : "expected an integer, got \(text)"
            throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: message))
        }

        func floating<F: BinaryFloatingPoint & LosslessStringConvertible>(_ type: F.Type) throws -> F {
            guard case .number(let text) = value, let number = F(text), number.isFinite else {
                throw mismatch("a number")
            }
            return number
        }
    }

    struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let members: [String: JSONValue]
        let decoder: Impl

        var codingPath: [any CodingKey] { decoder.codingPath }
        var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

        func jsonKey(_ key: Key) -> String {
            switch decoder.strategy {
            case .useDefaultKeys: key.stringValue
            case .convertFromSnakeCase: snakeCase(key.stringValue)
            }
        }

        func contains(_ key: Key) -> Bool { members[jsonKey(key)] != nil }

        func value(for key: Key) throws -> JSONValue {
            guard let value = members[jsonKey(key)] else {
                throw DecodingError.keyNotFound(
                    key, .init(codingPath: codingPath + [key], debugDescription: "required field is missing"))
            }
            return value
        }

        func decodeNil(forKey key: Key) throws -> Bool { members[jsonKey(key)].map { $0 == .null } ?? true }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try decoder.child(try value(for: key), key: key).unbox(type)
        }

        func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
            guard let value = members[jsonKey(key)], value != .null else { return nil }
            return try decoder.child(value, key: key).unbox(type)
        }

        func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type, forKey key: Key
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try decoder.child(try value(for: key), key: key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            try decoder.child(try value(for: key), key: key).unkeyedContainer()
        }

        func superDecoder() throws -> any Decoder { decoder }
        func superDecoder(forKey key: Key) throws -> any Decoder {
            decoder.child(members[jsonKey(key)] ?? .null, key: key)
        }
    }

    struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [JSONValue]
        let decoder: Impl
        var currentIndex = 0

        init(elements: [JSONValue], decoder: Impl) {
            self.elements = elements
            self.decoder = decoder
        }

        var codingPath: [any CodingKey] { decoder.codingPath }
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        mutating func next() throws -> Impl {
            let key = IndexKey(index: currentIndex)
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(
                    Any.self, .init(codingPath: codingPath + [key], debugDescription: "expected more elements"))
            }
            defer { currentIndex += 1 }
            return decoder.child(elements[currentIndex], key: key)
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, elements[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().unbox(type) }

        mutating func nestedContainer<NestedKey: CodingKey>(
            keyedBy type: NestedKey.Type
        ) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            try next().unkeyedContainer()
        }

        mutating func superDecoder() throws -> any Decoder { try next() }
    }
}

extension JSONValueDecoder.Impl: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let flag) = value else { throw mismatch("true or false") }
        return flag
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let text) = value else { throw mismatch("a string") }
        return text
    }

    func decode(_ type: Double.Type) throws -> Double { try floating(Double.self) }
    func decode(_ type: Float.Type) throws -> Float { try floating(Float.self) }
    func decode(_ type: Int.Type) throws -> Int { try integer(Int.self) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(Int8.self) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(Int16.self) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(Int32.self) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(Int64.self) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(UInt.self) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(UInt8.self) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(UInt16.self) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(UInt32.self) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(UInt64.self) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try unbox(type) }
}

/// A key named by the JSON itself (an unknown field).
struct JSONKey: CodingKey {
    let stringValue: String
    init(_ name: String) { self.stringValue = name }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
    var intValue: Int? { nil }
}

struct IndexKey: CodingKey {
    let index: Int
    init(index: Int) { self.index = index }
    init?(stringValue: String) { nil }
    init?(intValue: Int) { self.index = intValue }
    var stringValue: String { "Index \(index)" }
    var intValue: Int? { index }
}

/// The snake_case form of a Swift name, splitting words as `JSONEncoder.KeyEncodingStrategy.convertToSnakeCase`
/// does: `customerId` → `customer_id`, `requestID` → `request_id`, `myURLValue` → `my_url_value`.
public func snakeCase(_ name: String) -> String {
    guard name.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) else { return name }
    let bytes = Array(name.utf8)
    func isUpper(_ byte: UInt8) -> Bool { byte >= 65 && byte <= 90 }
    func isLower(_ byte: UInt8) -> Bool { byte >= 97 && byte <= 122 }
    func isDigit(_ byte: UInt8) -> Bool { byte >= 48 && byte <= 57 }
    var result: [UInt8] = []
    result.reserveCapacity(bytes.count + 4)
    for (index, byte) in bytes.enumerated() {
        if isUpper(byte), index > 0 {
            let previous = bytes[index - 1]
            let nextIsLower = index + 1 < bytes.count && isLower(bytes[index + 1])
            if isLower(previous) || isDigit(previous) || (isUpper(previous) && nextIsLower) {
                result.append(UInt8(ascii: "_"))
            }
        }
        result.append(isUpper(byte) ? byte + 32 : byte)
    }
    return String(decoding: result, as: UTF8.self)
}

extension DecodingError {
    /// One line naming the JSON path and the problem: `payment_method.type: required field is missing`.
    public var fieldMessage: String {
        let (context, fallback): (DecodingError.Context, String) =
            switch self {
            case .keyNotFound(_, let context): (context, "required field is missing")
            case .valueNotFound(_, let context): (context, "expected a value, got null")
            case .typeMismatch(_, let context): (context, "wrong type")
            case .dataCorrupted(let context): (context, "invalid value")
            @unknown default: (DecodingError.Context(codingPath: [], debugDescription: ""), "invalid value")
            }
        let message = context.debugDescription.isEmpty ? fallback : context.debugDescription
        let path = DecodingError.jsonPath(context.codingPath)
        return path.isEmpty ? message : "\(path): \(message)"
    }

    /// The dotted JSON path of a coding path, keys in snake_case: `items[2].unit_price`.
    public var fieldPath: String {
        switch self {
        case .keyNotFound(_, let context), .valueNotFound(_, let context), .typeMismatch(_, let context),
            .dataCorrupted(let context):
            DecodingError.jsonPath(context.codingPath)
        @unknown default: ""
        }
    }

    static func jsonPath(_ codingPath: [any CodingKey]) -> String {
        var path = ""
        for key in codingPath {
            if let index = key.intValue, key.stringValue.hasPrefix("Index ") || key.stringValue == String(index) {
                path += "[\(index)]"
            } else {
                if !path.isEmpty { path += "." }
                path += snakeCase(key.stringValue)
            }
        }
        return path
    }
}

/// A field the type does not declare, in a type that refuses them (its `CodingKeys` are `CaseIterable`): the
/// request's fault, as Stripe's `parameter_unknown` is, naming the field and what was expected.
public struct UnknownFieldError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The dotted JSON path of the field: `amuont`, `payment_method.nmber`.
    public let path: String
    /// The fields the type declares at that level.
    public let known: [String]

    public init(path: String, known: [String]) {
        self.path = path
        self.known = known
    }

    public var description: String { "\(path): unknown field; expected one of \(known.joined(separator: ", "))" }
}
