import Crypto
import SmartPayCore
import _CryptoExtras

/// The signature algorithms the authorizer accepts. Anything else — `none`, the HMAC family (which would let a
/// public key be used as a shared secret), PS256 — is refused before a key is looked at.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    case rs256 = "RS256"
    case es256 = "ES256"
}

/// A public key from a JWKS (RFC 7517): RSA (`n`, `e`) or EC P-256 (`x`, `y`).
public struct JSONWebKey: Sendable {
    public enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
    }

    public let id: String?
    public let material: Material

    public init(id: String?, material: Material) {
        self.id = id
        self.material = material
    }

    /// The algorithm this key verifies.
    public var algorithm: JWTAlgorithm {
        switch material {
        case .rsa: .rs256
        case .p256: .es256
        }
    }

    /// Reads one key of a set. Nil for a key this authorizer does not use (another `kty`, `use` other than `sig`).
    /// - Throws: `AuthConfigurationError` for a key of a supported type whose fields are wrong.
    public init?(json: JSONValue) throws(AuthConfigurationError) {
        guard case .object(let fields) = json else { throw AuthConfigurationError("a JWKS key must be an object") }
        let id = fields["kid"]?.stringValue
        let name = id.map { "key \"\($0)\"" } ?? "a key without kid"
        if let use = fields["use"]?.stringValue, use != "sig" { return nil }
        func bytes(_ member: String) throws(AuthConfigurationError) -> [UInt8] {
            guard let text = fields[member]?.stringValue, let decoded = Base64URL.decode(text), !decoded.isEmpty else {
                throw AuthConfigurationError("\(name): \(member) is missing or not base64url")
            }
            return decoded
        }
        switch fields["kty"]?.stringValue {
        case "RSA":
            if let alg = fields["alg"]?.stringValue, alg != "RS256" { return nil }
            do {
                self.init(id: id, material: .rsa(try _RSA.Signing.PublicKey(n: try bytes("n"), e: try bytes("e"))))
            } catch let error as AuthConfigurationError {
                throw error
            } catch {
                throw AuthConfigurationError("\(name): not a usable RSA public key (2048 bits or more): \(error)")
            }
        case "EC":
            guard fields["crv"]?.stringValue == "P-256" else { return nil }
            if let alg = fields["alg"]?.stringValue, alg != "ES256" { return nil }
            let x = try bytes("x")
            let y = try bytes("y")
            guard x.count == 32, y.count == 32 else {
                throw AuthConfigurationError("\(name): x and y of a P-256 key are 32 bytes each")
            }
            do {
                self.init(id: id, material: .p256(try P256.Signing.PublicKey(rawRepresentation: x + y)))
            } catch {
                throw AuthConfigurationError("\(name): the point is not on P-256")
            }
        default:
            return nil
        }
    }

    /// The public JWK, as a JWKS document lists it.
    public var json: JSONValue {
        var fields: [String: JSONValue] = ["use": .string("sig"), "alg": .string(algorithm.rawValue)]
        if let id { fields["kid"] = .string(id) }
        switch material {
        case .rsa(let key):
            if let primitives = try? key.getKeyPrimitives() {
                fields["kty"] = .string("RSA")
                fields["n"] = .string(Base64URL.encode(primitives.modulus))
                fields["e"] = .string(Base64URL.encode(primitives.publicExponent))
            }
        case .p256(let key):
            let raw = Array(key.rawRepresentation)
            fields["kty"] = .string("EC")
            fields["crv"] = .string("P-256")
            fields["x"] = .string(Base64URL.encode(raw[0..<32]))
            fields["y"] = .string(Base64URL.encode(raw[32..<64]))
        }
        return .object(fields)
    }

    /// Whether `signature` signs `input` under this key.
    func verifies(_ signature: [UInt8], of input: [UInt8]) -> Bool {
        switch material {
        case .rsa(let key):
            let signature = _RSA.Signing.RSASignature(rawRepresentation: signature)
            return key.isValidSignature(signature, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
        case .p256(let key):
            // JWS carries ECDSA signatures as r || s, 32 bytes each (RFC 7518 §3.4), not DER.
            guard signature.count == 64, let signature = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(signature, for: SHA256.hash(data: input))
        }
    }
}

/// A JSON Web Key Set: the keys an issuer signs with.
public struct JSONWebKeySet: Sendable {
    public let keys: [JSONWebKey]

    public init(keys: [JSONWebKey]) { self.keys = keys }

    /// - Throws: `AuthConfigurationError` when the document is not a JWKS or has no key this authorizer can use.
    public init(bytes: some Collection<UInt8>) throws(AuthConfigurationError) {
        let document: JSONValue
        do {
            document = try JSONParser().parse(bytes)
        } catch {
            throw AuthConfigurationError("the JWKS is not JSON: \(error.description)")
        }
        guard case .array(let entries)? = document["keys"] else {
            throw AuthConfigurationError("the JWKS has no \"keys\" array")
        }
        var keys: [JSONWebKey] = []
        for entry in entries {
            if let key = try JSONWebKey(json: entry) { keys.append(key) }
        }
        guard !keys.isEmpty else {
            throw AuthConfigurationError("the JWKS has no RS256 or ES256 signing key")
        }
        self.keys = keys
    }

    /// The key for a token's `kid` and `alg`: by id when the token names one, else the only key of that algorithm.
    public func key(id: String?, algorithm: JWTAlgorithm) -> JSONWebKey? {
        if let id { return keys.first { $0.id == id } }
        let candidates = keys.filter { $0.algorithm == algorithm }
        return candidates.count == 1 ? candidates[0] : nil
    }

    public var json: JSONValue { .object(["keys": .array(keys.map(\.json))]) }
}

/// The authorizer's configuration is wrong (a JWKS that cannot be read, a bad secret): an operator's error.
public struct AuthConfigurationError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
