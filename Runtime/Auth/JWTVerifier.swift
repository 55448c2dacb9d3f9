import Foundation
import SmartPayCore
import SmartPayHTTP
import Synchronization

/// Why a request was not let through. `unauthorized` is API Gateway's 401 (no or bad credential), `forbidden` its
/// 403 (a good credential without the scope the route needs).
public struct AuthFailure: Error, Sendable, CustomStringConvertible, Equatable {
    public enum Kind: Sendable, Equatable {
        case unauthorized
        case forbidden
    }

    public let kind: Kind
    public let message: String

    public static func unauthorized(_ message: String) -> AuthFailure {
        AuthFailure(kind: .unauthorized, message: message)
    }
    public static func forbidden(_ message: String) -> AuthFailure { AuthFailure(kind: .forbidden, message: message) }

    public var status: Int { kind == .unauthorized ? 401 : 403 }
    public var description: String { message }
}

/// Where an authorizer's keys come from.
public protocol JWKSProvider: Sendable {
    /// The key for a token's header; nil when the issuer has no such key.
    func key(id: String?, algorithm: JWTAlgorithm) async -> JSONWebKey?
}

/// Keys known up front: the runtime's development key, or a JWKS file.
public struct StaticJWKS: JWKSProvider {
    public let set: JSONWebKeySet

    public init(_ set: JSONWebKeySet) { self.set = set }

    /// - Throws: `AuthConfigurationError` when the file cannot be read or is not a usable JWKS.
    public init(file path: String) throws(AuthConfigurationError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AuthConfigurationError("cannot read the JWKS file \(path)")
        }
        do {
            set = try JSONWebKeySet(bytes: Array(data))
        } catch {
            throw AuthConfigurationError("\(path): \(error.description)")
        }
    }

    public func key(id: String?, algorithm: JWTAlgorithm) async -> JSONWebKey? { set.key(id: id, algorithm: algorithm) }
}

/// A JWKS fetched from a URL (an issuer's `jwks_uri`) and cached: refreshed after `maximumAge`, and at once when a
/// token names a key the cache does not have (an issuer rotating keys), at most once per `refetchInterval`.
public final class RemoteJWKS: JWKSProvider {
    public let url: String
    private let client: HTTPClient
    private let maximumAge: Duration
    private let refetchInterval: Duration
    private let cache = Mutex<(set: JSONWebKeySet?, fetchedAt: ContinuousClock.Instant?)>((nil, nil))

    public init(
        url: String, client: HTTPClient = HTTPClient(), maximumAge: Duration = .seconds(300),
        refetchInterval: Duration = .seconds(30)
    ) {
        self.url = url
        self.client = client
        self.maximumAge = maximumAge
        self.refetchInterval = refetchInterval
    }

    public func key(id: String?, algorithm: JWTAlgorithm) async -> JSONWebKey? {
        let (set, fetchedAt) = cache.withLock { $0 }
        let now = ContinuousClock.now
        if let set, let fetchedAt, now - fetchedAt < maximumAge, let key = set.key(id: id, algorithm: algorithm) {
            return key
        }
        if let fetchedAt, now - fetchedAt < refetchInterval { return set?.key(id: id, algorithm: algorithm) }
        do {
            let fresh = try await fetch()
            cache.withLock { $0 = (fresh, now) }
            return fresh.key(id: id, algorithm: algorithm)
        } catch {
            // Keep serving the keys we had; try again after the refetch interval.
            cache.withLock { $0 = (set, now) }
            return set?.key(id: id, algorithm: algorithm)
        }
    }

    /// Fetches the set now.
    /// - Throws: `AuthConfigurationError` naming the URL and what went wrong.
    public func fetch() async throws(AuthConfigurationError) -> JSONWebKeySet {
        let response: HTTPClientResponse
        do {
            response = try await client.execute(HTTPClientRequest(url: url, timeout: .seconds(5)))
        } catch {
            throw AuthConfigurationError("cannot fetch the JWKS at \(url): \(error)")
        }
        guard response.status == 200 else {
            throw AuthConfigurationError("the JWKS at \(url) answered \(response.status)")
        }
        do {
            return try JSONWebKeySet(bytes: response.body)
        } catch {
            throw AuthConfigurationError("the JWKS at \(url): \(error.description)")
        }
    }
}

/// A token that passed every check: its claims and scopes, as API Gateway hands them on.
public struct VerifiedToken: Sendable {
    public let claims: [String: JSONValue]
    public let scopes: [String]
    /// `exp`, in seconds since the epoch.
    public let expiresAt: Int64
    public var subject: String? { claims["sub"]?.stringValue }
}

/// Verifies bearer tokens as API Gateway's JWT authorizer does: signature (RS256 / ES256 only) against the issuer's
/// JWKS, `iss`, `aud` or `client_id`, `exp` and `nbf` with a small clock skew, and `token_use` when present.
public struct JWTVerifier: Sendable {
    public let issuer: String
    public let audiences: [String]
    public let keys: any JWKSProvider
    /// Clock skew allowed on `exp` and `nbf`, in seconds.
    public let leewaySeconds: Int64
    /// Cognito's `token_use` values accepted when a token carries the claim.
    public let tokenUses: Set<String>

    public init(
        issuer: String, audiences: [String], keys: any JWKSProvider, leewaySeconds: Int64 = 60,
        tokenUses: Set<String> = ["access", "id"]
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.keys = keys
        self.leewaySeconds = leewaySeconds
        self.tokenUses = tokenUses
    }

    /// - Throws: `AuthFailure.unauthorized` naming the first check the token failed.
    public func verify(_ token: String, now: Timestamp = .now()) async throws(AuthFailure) -> VerifiedToken {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .unauthorized("the token is not a JWS compact serialization (header.payload.signature)")
        }
        guard let headerBytes = Base64URL.decode(parts[0]),
            case .object(let header)? = try? JSONParser().parse(headerBytes)
        else { throw .unauthorized("the token's header is not base64url JSON") }
        guard let name = header["alg"]?.stringValue else { throw .unauthorized("the token's header has no alg") }
        guard let algorithm = JWTAlgorithm(rawValue: name) else {
            throw .unauthorized("the token's alg \(name) is not accepted (RS256 or ES256)")
        }
        if header["crit"] != nil {
            throw .unauthorized("the token's header has crit extensions, which are not supported")
        }
        let kid = header["kid"]?.stringValue
        guard let key = await keys.key(id: kid, algorithm: algorithm) else {
            throw .unauthorized("no signing key \(kid.map { "\"\($0)\"" } ?? "for \(name)") in the issuer's JWKS")
        }
        guard key.algorithm == algorithm else {
            throw .unauthorized("the token's alg \(name) does not match its key (\(key.algorithm.rawValue))")
        }
        guard let signature = Base64URL.decode(parts[2]), !signature.isEmpty else {
            throw .unauthorized("the token's signature is missing or not base64url")
        }
        let signingInput = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        guard key.verifies(signature, of: signingInput) else {
            throw .unauthorized("the token's signature is not valid")
        }

        guard let payload = Base64URL.decode(parts[1]), case .object(let claims)? = try? JSONParser().parse(payload)
        else { throw .unauthorized("the token's payload is not a JSON object") }
        let seconds = now.millisecondsSinceEpoch / 1000
        guard let expiry = Self.seconds(claims["exp"]) else { throw .unauthorized("the token has no exp") }
        guard seconds <= expiry + leewaySeconds else {
            throw .unauthorized("the token expired at \(expiry) (now \(seconds))")
        }
        if let notBefore = Self.seconds(claims["nbf"]), seconds + leewaySeconds < notBefore {
            throw .unauthorized("the token is not valid before \(notBefore) (now \(seconds))")
        }
        guard claims["iss"]?.stringValue == issuer else {
            throw .unauthorized("the token's issuer \(claims["iss"]?.stringValue ?? "(none)") is not \(issuer)")
        }
        var presented: [String] = []
        switch claims["aud"] {
        case .string(let audience)?: presented = [audience]
        case .array(let values)?: presented = values.compactMap(\.stringValue)
        default: if let clientID = claims["client_id"]?.stringValue { presented = [clientID] }
        }
        guard presented.contains(where: audiences.contains) else {
            throw .unauthorized("the token's audience \(presented) is not one of \(audiences)")
        }
        if let use = claims["token_use"]?.stringValue, !tokenUses.contains(use) {
            throw .unauthorized("token_use \(use) is not accepted")
        }
        return VerifiedToken(claims: claims, scopes: Self.scopes(claims), expiresAt: expiry)
    }

    /// `scope` (space-separated, OAuth 2.0) or `scp` (a list or a string).
    static func scopes(_ claims: [String: JSONValue]) -> [String] {
        if let scope = claims["scope"]?.stringValue { return scope.split(separator: " ").map(String.init) }
        switch claims["scp"] {
        case .array(let values)?: return values.compactMap(\.stringValue)
        case .string(let text)?: return text.split(separator: " ").map(String.init)
        default: return []
        }
    }

    /// A NumericDate claim (`exp`, `nbf`) in whole seconds.
    static func seconds(_ value: JSONValue?) -> Int64? {
        guard case .number(let text)? = value else { return nil }
        if let whole = Int64(text) { return whole }
        return Double(text).map { Int64($0) }
    }
}
