import SmartPayCore

/// Who is calling, from the gateway's authorizer: a JWT's claims (`requestContext.authorizer.jwt`) or a merchant
/// API key (`requestContext.authorizer.lambda`). Functions decide ownership with it.
public struct Identity: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case token
        case apiKey
    }

    public let kind: Kind
    /// The token's `sub`, or the API key's id.
    public let subject: String
    /// `customer`, `merchant` or `admin` (an API key is always `merchant`).
    public let role: String?
    /// The merchant the caller acts for: a merchant token's `merchant_id` (or its subject), an API key's merchant.
    public let merchantID: String?
    public let scopes: [String]

    /// The customer the caller is: a customer token's subject.
    public var customerID: String? { kind == .token && role == "customer" ? subject : nil }
    public var isAdmin: Bool { role == "admin" }

    public func hasScope(_ scope: String) -> Bool { scopes.contains(scope) }

    /// Whether the caller may see a resource of `customerID` at `merchantID`: a customer their own, a merchant
    /// theirs, an admin everything.
    public func mayAccess(customerID owner: String?, merchantID seller: String?) -> Bool {
        if isAdmin { return true }
        if let customerID, let owner, customerID == owner { return true }
        if role == "merchant" || kind == .apiKey, let merchantID, let seller, merchantID == seller { return true }
        return false
    }

    /// Reads API Gateway's `requestContext.authorizer`; nil when the route had no authorizer.
    public init?(requestContext: JSONValue) {
        guard case .object(let authorizer)? = requestContext["authorizer"] else { return nil }
        if case .object(let jwt)? = authorizer["jwt"], case .object(let claims)? = jwt["claims"] {
            guard let subject = claims["sub"]?.stringValue else { return nil }
            let role = claims["role"]?.stringValue
            kind = .token
            self.subject = subject
            self.role = role
            merchantID = claims["merchant_id"]?.stringValue ?? (role == "merchant" ? subject : nil)
            if case .array(let values)? = jwt["scopes"] {
                scopes = values.compactMap(\.stringValue)
            } else {
                scopes = []
            }
            return
        }
        if case .object(let lambda)? = authorizer["lambda"], lambda["principal_type"]?.stringValue == "api_key",
            let key = lambda["key_id"]?.stringValue, let merchant = lambda["merchant_id"]?.stringValue
        {
            kind = .apiKey
            subject = key
            role = "merchant"
            merchantID = merchant
            scopes = (lambda["scopes"]?.stringValue ?? "").split(separator: " ").map(String.init)
            return
        }
        return nil
    }
}

extension HTTPAPIRequest {
    /// The caller, when the route has an authorizer.
    public var identity: Identity? { Identity(requestContext: requestContext) }
}

extension InvocationContext {
    /// The caller behind the HTTP or WebSocket API; nil for a direct or bus invocation (trusted callers inside the platform).
    public var identity: Identity? {
        switch source {
        case .httpAPI(let request): request.identity
        case .webSocket(let request): request.identity
        case .direct, .eventBridge: nil
        }
    }

    /// Ownership in one call: passes for a direct or bus invocation and for a caller who may access the resource;
    /// otherwise throws not-found naming only `resource` — a stranger learns nothing, not even that it exists.
    /// A request through the HTTP API without an identity is refused the same way.
    public func requireAccess(to resource: String, customerID: String?, merchantID: String?) throws(FunctionError) {
        switch source {
        case .direct, .eventBridge: return
        case .httpAPI, .webSocket: break
        }
        guard let identity, identity.mayAccess(customerID: customerID, merchantID: merchantID)
        else { throw FunctionError.notFound("no such \(resource)") }
    }
}
