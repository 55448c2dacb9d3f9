import Foundation
import HTTPTypes
import Hummingbird
import Logging
import SmartPayAuth
import SmartPayCore
import SmartPayRedis
import SmartPayTemplate
import Synchronization

/// How the APIs check identity and limits (`smartpay serve`'s options).
public struct APIGuardOptions: Sendable {
    public var rateLimits = RateLimitPolicy()
    public var requestLimits = RequestLimits()
    /// A JWKS file or URL for authorizers whose issuer is not the development issuer; by default such an
    /// authorizer fetches `{issuer}/.well-known/jwks.json` (where Cognito publishes it).
    public var jwks: String?

    public init() {}
}

/// Identity and limits before any function runs: request limits, the route's JWT authorizer (or a merchant API
/// key), then the rate limiter's three tiers. What it lets through carries API Gateway's `requestContext.authorizer`.
final class APIGuard: Sendable {
    let development: DevelopmentIdentity
    let apiKeys: APIKeyStore
    let limiter: RateLimiter
    let limits: RequestLimits
    private let authorizers: [String: JWTAuthorizerSpec]
    private let verifiers: [String: JWTVerifier]
    /// Tokens that passed verification, by authorizer and token, until their `exp` (at most 5 minutes): a client
    /// sends the same token for an hour, and an ECDSA verification per request is most of the authorizer's cost.
    /// A cached token is never used past its `exp`; a key removed from the JWKS stops its tokens within 5 minutes.
    private let verified = Mutex<[String: (token: VerifiedToken, until: Int64)]>([:])
    private static let cacheLimit = 10_000

    init(
        template: Template, options: APIGuardOptions, redis: RedisClient, development: DevelopmentIdentity,
        apiKeySecret: [UInt8]
    ) throws(AuthConfigurationError) {
        self.development = development
        apiKeys = APIKeyStore(redis: redis, secret: apiKeySecret)
        limiter = RateLimiter(redis: redis, policy: options.rateLimits)
        limits = options.requestLimits
        authorizers = template.authorizers
        var verifiers: [String: JWTVerifier] = [:]
        for spec in template.authorizers.values {
            let keys: any JWKSProvider
            if spec.issuer == DevelopmentIdentity.issuer {
                keys = StaticJWKS(development.jwks)
            } else if let jwks = options.jwks, !jwks.hasPrefix("http://"), !jwks.hasPrefix("https://") {
                keys = try StaticJWKS(file: jwks)
            } else {
                let trimmed = spec.issuer.hasSuffix("/") ? String(spec.issuer.dropLast()) : spec.issuer
                keys = RemoteJWKS(url: options.jwks ?? trimmed + "/.well-known/jwks.json")
            }
            verifiers[spec.name] = JWTVerifier(issuer: spec.issuer, audiences: spec.audiences, keys: keys)
        }
        self.verifiers = verifiers
    }

    /// Who is calling, as the rate limiter and the proxy event see it.
    struct Principal: Sendable {
        /// `key:{id}` or `sub:{subject}`.
        let rateKey: String
        /// `requestContext.authorizer`.
        let authorizer: JSONValue
    }

    /// A refusal: the status, API Gateway's message and our reason.
    struct Refusal: Error, Sendable {
        let status: HTTPResponse.Status
        let message: String
        let reason: String
        var headers: HTTPFields = [:]

        init(status: HTTPResponse.Status, message: String, reason: String, headers: HTTPFields = [:]) {
            self.status = status
            self.message = message
            self.reason = reason
            self.headers = headers
        }

        init(_ violation: RequestLimits.Violation) {
            let status = HTTPResponse.Status(code: violation.status)
            self.init(status: status, message: status.reasonPhrase, reason: violation.message)
        }
    }

    // MARK: - request limits

    func checkHead(_ request: Request) throws(Refusal) {
        var headerBytes = request.method.rawValue.utf8.count + (request.head.path?.utf8.count ?? 0) + 12
        for field in request.headers { headerBytes += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        let length = request.headers[.contentLength].flatMap(Int.init) ?? 0
        let hasBody = length > 0 || request.headers[.transferEncoding] != nil
        if let violation = limits.checkHead(
            headerBytes: headerBytes, contentType: request.headers[.contentType], hasBody: hasBody)
        {
            throw Refusal(violation)
        }
    }

    func checkBody(_ body: [UInt8], contentType: String?) throws(Refusal) {
        if let violation = limits.checkBody(body, contentType: contentType) { throw Refusal(violation) }
    }

    // MARK: - identity

    /// Checks the route's authorizer: a bearer JWT (or a merchant API key in `X-Api-Key` or as the bearer), and
    /// the route's scopes.
    func authorize(_ request: Request, route: HTTPRoute) async throws(Refusal) -> Principal? {
        guard let authorization = route.authorization, let spec = authorizers[authorization.authorizer],
            let verifier = verifiers[authorization.authorizer]
        else { return nil }
        let headerName = HTTPField.Name(spec.header) ?? .authorization
        var credential = request.headers[headerName]?.trimmingCharacters(in: .whitespaces) ?? ""
        if credential.lowercased().hasPrefix("bearer ") {
            credential = String(credential.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        return try await authorize(
            credential: credential, apiKey: request.headers[HTTPField.Name("x-api-key")!],
            scopes: authorization.scopes, spec: spec, verifier: verifier,
            missing: "no bearer token in the \(spec.header) header (or merchant API key in X-Api-Key)")
    }

    /// Checks a WebSocket client's credential at `$connect` with the named authorizer: a bearer JWT in the
    /// authorizer's header or, since browsers cannot set headers on a WebSocket, in the `token` query parameter;
    /// or a merchant API key in `X-Api-Key`.
    func authorizeConnection(authorizer name: String, header: String?, token: String?, apiKey: String?)
        async throws(Refusal) -> Principal
    {
        guard let spec = authorizers[name], let verifier = verifiers[name] else {
            throw Refusal(
                status: .internalServerError, message: "Internal server error", reason: "no authorizer \(name)")
        }
        var credential = header?.trimmingCharacters(in: .whitespaces) ?? ""
        if credential.lowercased().hasPrefix("bearer ") {
            credential = String(credential.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        }
        if credential.isEmpty, let token { credential = token }
        return try await authorize(
            credential: credential, apiKey: apiKey, scopes: [], spec: spec, verifier: verifier,
            missing: "no bearer token in the \(spec.header) header or the token query parameter")
    }

    private func authorize(
        credential: String, apiKey: String?, scopes: [String], spec: JWTAuthorizerSpec, verifier: JWTVerifier,
        missing: String
    ) async throws(Refusal) -> Principal {
        if let key = apiKey ?? (credential.hasPrefix(APIKeyStore.prefix) ? credential : nil) {
            return try await authorize(apiKey: key, scopes: scopes)
        }
        guard !credential.isEmpty else {
            throw Refusal(status: .unauthorized, message: "Unauthorized", reason: missing)
        }
        let token = try await verify(credential, with: verifier, authorizer: spec.name)
        try Self.require(scopes, in: token.scopes, what: "token")
        var claims: [String: JSONValue] = [:]
        for (name, value) in token.claims { claims[name] = .string(Self.claimText(value)) }
        let scopes: JSONValue = token.scopes.isEmpty ? .null : .array(token.scopes.map { .string($0) })
        return Principal(
            rateKey: "sub:\(token.subject ?? "")",
            authorizer: .object(["jwt": .object(["claims": .object(claims), "scopes": scopes])]))
    }

    private func verify(_ credential: String, with verifier: JWTVerifier, authorizer: String) async throws(Refusal)
        -> VerifiedToken
    {
        let now = Timestamp.now().millisecondsSinceEpoch / 1000
        let cacheKey = authorizer + " " + credential
        if let hit = verified.withLock({ $0[cacheKey] }), now < hit.until {
            return hit.token
        }
        let token: VerifiedToken
        do {
            token = try await verifier.verify(credential)
        } catch {
            throw Refusal(status: .unauthorized, message: "Unauthorized", reason: error.message)
        }
        let until = min(token.expiresAt, now + 300)
        verified.withLock { cache in
            if cache.count >= Self.cacheLimit { cache = cache.filter { $0.value.until > now } }
            if cache.count >= Self.cacheLimit { cache.removeAll() }
            cache[cacheKey] = (token, until)
        }
        return token
    }

    private func authorize(apiKey: String, scopes required: [String]) async throws(Refusal) -> Principal {
        let record: APIKeyRecord?
        do {
            record = try await apiKeys.authenticate(apiKey)
        } catch {
            throw Refusal(
                status: .serviceUnavailable, message: "Service Unavailable", reason: "cannot check the API key now")
        }
        guard let record else {
            throw Refusal(
                status: .unauthorized, message: "Unauthorized", reason: "the API key is not valid or was revoked")
        }
        try Self.require(required, in: record.scopes, what: "API key")
        // Where API Gateway puts a Lambda authorizer's context; the harness's `Identity` reads both shapes.
        return Principal(
            rateKey: "key:\(record.id)",
            authorizer: .object([
                "lambda": .object([
                    "principal_type": .string("api_key"), "key_id": .string(record.id),
                    "merchant_id": .string(record.merchantID), "role": .string("merchant"),
                    "scopes": .string(record.scopes.joined(separator: " ")),
                ])
            ]))
    }

    private static func require(_ required: [String], in granted: [String], what: String) throws(Refusal) {
        guard !required.isEmpty, !required.contains(where: granted.contains) else { return }
        throw Refusal(
            status: .forbidden, message: "Forbidden",
            reason: "the \(what) lacks the scope this route needs (one of: \(required.joined(separator: ", ")))")
    }

    /// API Gateway hands claims on as strings: arrays as `[a b]`, objects as JSON.
    static func claimText(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .number(let text): text
        case .bool(let flag): flag ? "true" : "false"
        case .null: ""
        case .array(let items): "[" + items.map(claimText).joined(separator: " ") + "]"
        case .object: value.serializedString
        }
    }

    // MARK: - rate limits

    /// Takes a token from each tier; the headers go on the response either way.
    func admit(_ principal: Principal?, route: HTTPRoute, ip: String) async throws(Refusal) -> HTTPFields {
        guard limiter.isActive else { return [:] }
        let decision: RateLimitDecision?
        do {
            decision = try await limiter.admit(caller: principal?.rateKey, write: route.isWrite, ip: ip)
        } catch {
            // Fail closed: a payment API does not lift its limits because Redis is away.
            throw Refusal(
                status: .serviceUnavailable, message: "Service Unavailable", reason: "the rate limiter is unavailable")
        }
        guard let decision else { return [:] }
        var headers: HTTPFields = [
            HTTPField.Name("RateLimit-Limit")!: String(decision.limit.count),
            HTTPField.Name("RateLimit-Remaining")!: String(decision.remaining),
            HTTPField.Name("RateLimit-Reset")!: String(decision.resetSeconds),
        ]
        guard decision.allowed else {
            headers[.retryAfter] = String(max(1, decision.retryAfterSeconds))
            let tier =
                switch decision.tier {
                case .caller: "per caller for \(route.isWrite ? "writes" : "reads")"
                case .ip: "per client IP"
                case .global: "for the whole API"
                }
            throw Refusal(
                status: .tooManyRequests, message: "Too Many Requests",
                reason: "rate limit \(decision.limit) \(tier) exceeded", headers: headers)
        }
        return headers
    }
}
