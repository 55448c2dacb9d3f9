import Crypto
import SmartPayCore

/// A 128-bit account or transfer id, as TigerBeetle's: given, or derived from a business key so that a repeat of
/// the same business event names the same id (and is answered `exists`, never posted twice). Written as 32
/// lower-case hex digits. Zero and 2¹²⁸−1 are reserved.
public struct LedgerID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let value: UInt128

    public init(_ value: UInt128) { self.value = value }

    public static let zero = LedgerID(0)
    public static let max = LedgerID(UInt128.max)

    /// The id of a business key: the first 16 bytes of SHA-256 over its parts joined by `\u{1F}`, so
    /// `derived("payment", "pay_1", "capture")` is the same on every machine and in every language.
    public static func derived(_ parts: String...) -> LedgerID { derived(parts) }

    public static func derived(_ parts: [String]) -> LedgerID {
        let digest = SHA256.hash(data: Array(parts.joined(separator: "\u{1F}").utf8))
        var value: UInt128 = 0
        for byte in digest.prefix(16) { value = value << 8 | UInt128(byte) }
        return LedgerID(value == 0 || value == .max ? 1 : value)
    }

    /// Parses 1 to 32 hex digits (either case).
    public init?(hex text: some StringProtocol) {
        guard (1...32).contains(text.utf8.count), let value = UInt128(text, radix: 16) else { return nil }
        self.value = value
    }

    /// 32 lower-case hex digits, zero-padded: the form keys, journal entries and JSON use.
    public var hex: String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 32 - digits.count) + digits
    }

    public var description: String { hex }
    public var isZero: Bool { value == 0 }
    public var isReserved: Bool { value == 0 || value == .max }

    public static func < (lhs: LedgerID, rhs: LedgerID) -> Bool { lhs.value < rhs.value }
}

extension LedgerID: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let id = LedgerID(hex: text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "a ledger id is 1 to 32 hex digits, not \(text.debugDescription)")
        }
        self = id
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(hex)
    }
}
