/// A resource identifier in Stripe's style: a short prefix naming the kind, an underscore, then 24 random
/// base-62 characters (`pay_3xK9…`, `evt_…`). 143 bits of randomness; safe to show to users and to log.
public struct Identifier: Hashable, Sendable, CustomStringConvertible, Codable {
    public let rawValue: String

    /// Wraps an existing identifier after checking its shape.
    /// - Throws: `IdentifierError` when the prefix is not `expectedPrefix` or the rest is not base-62.
    public init(_ rawValue: String, prefix expectedPrefix: String? = nil) throws(IdentifierError) {
        guard let separator = rawValue.firstIndex(of: "_"), separator != rawValue.startIndex else {
            throw .malformed(rawValue, "expected PREFIX_ID")
        }
        let prefix = rawValue[..<separator]
        let body = rawValue[rawValue.index(after: separator)...]
        if let expectedPrefix, prefix != expectedPrefix {
            throw .malformed(rawValue, "expected an id starting with \(expectedPrefix)_")
        }
        guard !body.isEmpty, body.count <= 64, body.utf8.allSatisfy(Identifier.isBase62) else {
            throw .malformed(rawValue, "expected 1 to 64 letters and digits after the prefix")
        }
        self.rawValue = rawValue
    }

    /// A new random identifier with the given prefix, e.g. `Identifier.random(prefix: "pay")`.
    public static func random(prefix: String) -> Identifier {
        var generator = SystemRandomNumberGenerator()
        return random(prefix: prefix, using: &generator)
    }

    /// A new identifier drawn from `generator` (seeded generators make reproducible ids in tests).
    public static func random(prefix: String, using generator: inout some RandomNumberGenerator) -> Identifier {
        var bytes = Array(prefix.utf8)
        bytes.append(UInt8(ascii: "_"))
        for _ in 0..<24 {
            bytes.append(alphabet[Int(generator.next(upperBound: UInt8(alphabet.count)))])
        }
        return Identifier(unchecked: String(decoding: bytes, as: UTF8.self))
    }

    private init(unchecked: String) { self.rawValue = unchecked }

    public var prefix: Substring { rawValue[..<(rawValue.firstIndex(of: "_") ?? rawValue.startIndex)] }
    public var description: String { rawValue }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let raw = try container.decode(String.self)
        do {
            try self.init(raw)
        } catch {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)

    private static func isBase62(_ byte: UInt8) -> Bool {
        (byte >= 48 && byte <= 57) || (byte >= 65 && byte <= 90) || (byte >= 97 && byte <= 122)
    }
}

/// Why an identifier was refused.
public enum IdentifierError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String, String)

    public var description: String {
        switch self {
        case .malformed(let value, let why): "malformed id \"\(value)\": \(why)"
        }
    }
}
