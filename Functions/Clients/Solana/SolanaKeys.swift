import Crypto
import Foundation

/// A Solana address: 32 bytes, written in base58.
public struct SolanaPublicKey: Hashable, Sendable, CustomStringConvertible, Codable {
    public let bytes: [UInt8]

    /// - Throws: `SolanaError.invalidAddress` naming what is wrong (not base58, not 32 bytes).
    public init(_ text: String) throws(SolanaError) {
        guard let bytes = Base58.decode(text) else {
            throw .invalidAddress("\"\(text.prefix(64))\" is not base58")
        }
        guard bytes.count == 32 else {
            throw .invalidAddress("\"\(text.prefix(64))\" is \(bytes.count) bytes, not 32")
        }
        self.bytes = bytes
    }

    public init(bytes: [UInt8]) {
        precondition(bytes.count == 32, "a Solana public key is 32 bytes")
        self.bytes = bytes
    }

    public var description: String { Base58.encode(bytes) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try SolanaPublicKey(text)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: error.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    public static let systemProgram = SolanaPublicKey(bytes: [UInt8](repeating: 0, count: 32))
    public static let tokenProgram = try! SolanaPublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA")
    public static let associatedTokenProgram = try! SolanaPublicKey("ATokenGPvbdGVxr1b2hvZbsiqW5xWH25efTNsLJA8knL")
    public static let memoProgram = try! SolanaPublicKey("MemoSq4gqABAXKb96qnH8TysNcWxMyWCqXgDLGmfcHr")
}

/// An ed25519 key pair that signs transactions. Read from a file or the environment, never from an event; its
/// description shows the public key only.
public struct SolanaKeypair: Sendable, CustomStringConvertible {
    let key: Curve25519.Signing.PrivateKey
    public let publicKey: SolanaPublicKey

    public init(seed: [UInt8]) throws(SolanaError) {
        guard seed.count == 32, let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed) else {
            throw .invalidKey("an ed25519 seed is 32 bytes")
        }
        self.key = key
        self.publicKey = SolanaPublicKey(bytes: Array(key.publicKey.rawRepresentation))
    }

    /// A fresh random key pair.
    public static func generate() -> SolanaKeypair {
        let key = Curve25519.Signing.PrivateKey()
        return try! SolanaKeypair(seed: Array(key.rawRepresentation))
    }

    /// `solana-keygen`'s format: a JSON array of 64 numbers, the seed then the public key (checked to match).
    public init(keygenJSON text: String) throws(SolanaError) {
        let numbers = text.filter { !"[] \n\r\t".contains($0) }.split(separator: ",").map { UInt8($0) }
        guard numbers.count == 64, numbers.allSatisfy({ $0 != nil }) else {
            throw .invalidKey("expected a JSON array of 64 bytes (solana-keygen's format)")
        }
        let bytes = numbers.map { $0! }
        try self.init(seed: Array(bytes[0..<32]))
        guard publicKey.bytes == Array(bytes[32..<64]) else {
            throw .invalidKey("the key file's public half does not match its secret half")
        }
    }

    /// The keygen JSON array (for the tests' and tools' key files).
    public var keygenJSON: String {
        "[" + (Array(key.rawRepresentation) + publicKey.bytes).map(String.init).joined(separator: ",") + "]"
    }

    public func sign(_ message: [UInt8]) throws(SolanaError) -> [UInt8] {
        guard let signature = try? key.signature(for: message) else { throw .invalidKey("signing failed") }
        return Array(signature)
    }

    public var description: String { "SolanaKeypair(\(publicKey))" }
}

public enum SolanaError: Error, Hashable, Sendable, CustomStringConvertible {
    case invalidAddress(String)
    case invalidKey(String)
    case invalidTransaction(String)
    /// The node answered a JSON-RPC error: its code and message.
    case rpc(code: Int, message: String)
    /// The node could not be asked (connection, timeout, a non-JSON answer).
    case unavailable(String)

    public var description: String {
        switch self {
        case .invalidAddress(let why): "invalid Solana address: \(why)"
        case .invalidKey(let why): "invalid Solana key: \(why)"
        case .invalidTransaction(let why): "invalid transaction: \(why)"
        case .rpc(let code, let message): "Solana RPC error \(code): \(message)"
        case .unavailable(let why): "Solana RPC unavailable: \(why)"
        }
    }
}
