import Crypto
import Foundation
import SmartPayCore

/// The runtime's local identity provider: an ES256 key kept under the state directory (created on first use, mode
/// 0600), its JWKS served at `/.well-known/jwks.json`, and `smartpay token` signing with it — so the demo and the
/// tests take the same path through the authorizer as production tokens do.
public struct DevelopmentIdentity: Sendable {
    /// The issuer the development tokens carry; the template's `JwtIssuer` parameter defaults to it.
    public static let issuer = "https://auth.smartpay.local"
    public static let audience = "smartpay"

    private let key: P256.Signing.PrivateKey
    /// RFC 7638 thumbprint of the public key.
    public let keyID: String

    public init(key: P256.Signing.PrivateKey) {
        self.key = key
        let raw = Array(key.publicKey.rawRepresentation)
        let canonical =
            #"{"crv":"P-256","kty":"EC","x":"\#(Base64URL.encode(raw[0..<32]))","y":"\#(Base64URL.encode(raw[32..<64]))"}"#
        keyID = Base64URL.encode(SHA256.hash(data: Array(canonical.utf8)))
    }

    /// Loads the key from `directory/dev-signing-key.pem`, creating it when missing.
    /// - Throws: `AuthConfigurationError` when the file cannot be read, written or parsed.
    public static func load(stateDirectory directory: String) throws(AuthConfigurationError) -> DevelopmentIdentity {
        let path = URL(fileURLWithPath: directory).appendingPathComponent("dev-signing-key.pem").path
        if let data = FileManager.default.contents(atPath: path) {
            do {
                return DevelopmentIdentity(
                    key: try P256.Signing.PrivateKey(pemRepresentation: String(decoding: data, as: UTF8.self)))
            } catch {
                throw AuthConfigurationError("\(path) is not a P-256 private key in PEM: \(error)")
            }
        }
        let key = P256.Signing.PrivateKey()
        do {
            try SecretFile.write(Array(key.pemRepresentation.utf8), to: path)
        } catch {
            throw AuthConfigurationError(error.description)
        }
        // Read back what is on disk: another process may have created the key first.
        return try load(stateDirectory: directory)
    }

    public var publicKey: JSONWebKey { JSONWebKey(id: keyID, material: .p256(key.publicKey)) }
    public var jwks: JSONWebKeySet { JSONWebKeySet(keys: [publicKey]) }

    /// A signed access token for `subject`.
    public func token(
        subject: String, role: String?, scopes: [String], merchantID: String? = nil, audience: String = audience,
        issuer: String = issuer, lifetimeSeconds: Int64 = 3600, now: Timestamp = .now(),
        extraClaims: [String: JSONValue] = [:]
    ) -> String {
        let issuedAt = now.millisecondsSinceEpoch / 1000
        var claims = extraClaims
        claims["iss"] = .string(issuer)
        claims["aud"] = .string(audience)
        claims["sub"] = .string(subject)
        claims["iat"] = .number(String(issuedAt))
        claims["nbf"] = .number(String(issuedAt))
        claims["exp"] = .number(String(issuedAt + lifetimeSeconds))
        claims["token_use"] = .string("access")
        claims["jti"] = .string(UUID().uuidString.lowercased())
        if !scopes.isEmpty { claims["scope"] = .string(scopes.joined(separator: " ")) }
        if let role { claims["role"] = .string(role) }
        if let merchantID { claims["merchant_id"] = .string(merchantID) }
        return sign(claims: .object(claims))
    }

    /// Signs any claims with the development key (tests use it to forge expired, early or foreign tokens).
    public func sign(claims: JSONValue, header extra: [String: JSONValue] = [:]) -> String {
        var header = extra
        header["alg"] = header["alg"] ?? .string("ES256")
        header["typ"] = .string("JWT")
        header["kid"] = header["kid"] ?? .string(keyID)
        let input =
            Base64URL.encode(JSONValue.object(header).serialized()) + "." + Base64URL.encode(claims.serialized())
        let signature = (try? key.signature(for: Array(input.utf8))).map { Array($0.rawRepresentation) } ?? []
        return input + "." + Base64URL.encode(signature)
    }
}

/// Writes secrets readable by their owner only.
enum SecretFile {
    struct WriteError: Error, CustomStringConvertible {
        let description: String
    }

    static func write(_ bytes: [UInt8], to path: String) throws(WriteError) {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw WriteError(description: "cannot create \(directory): \(error)")
        }
        let temporary = path + ".tmp.\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard descriptor >= 0 else { throw WriteError(description: "cannot create \(temporary): errno \(errno)") }
        let written = bytes.withUnsafeBytes { Foundation.write(descriptor, $0.baseAddress, $0.count) }
        let synced = fsync(descriptor)
        close(descriptor)
        guard written == bytes.count, synced == 0 else {
            unlink(temporary)
            throw WriteError(description: "cannot write \(temporary): errno \(errno)")
        }
        // Two processes (serve and `smartpay token`) may race to create it: link() fails on an existing name, so
        // the first one wins and an existing secret is never replaced.
        if link(temporary, path) != 0 && errno != EEXIST {
            unlink(temporary)
            throw WriteError(description: "cannot create \(path): errno \(errno)")
        }
        unlink(temporary)
    }
}
