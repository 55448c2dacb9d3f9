import FunctionKit

/// Who asks, as far as the payment API cares.
public struct Caller: Sendable {
    public enum Audience: Sendable { case merchant, customer }
    public var audience: Audience
    /// `customer:c_7`, `merchant:m_42`, `admin:…`, `platform` (a direct invocation).
    public var actor: String
    public var identity: Identity?

    public init(audience: Audience, actor: String = "platform", identity: Identity? = nil) {
        self.audience = audience
        self.actor = actor
        self.identity = identity
    }

    public init(identity: Identity?) {
        guard let identity else {
            self.init(audience: .merchant)
            return
        }
        if let customer = identity.customerID {
            self.init(audience: .customer, actor: "customer:\(customer)", identity: identity)
        } else if identity.isAdmin {
            self.init(audience: .merchant, actor: "admin:\(identity.subject)", identity: identity)
        } else {
            self.init(
                audience: .merchant, actor: "merchant:\(identity.merchantID ?? identity.subject)", identity: identity)
        }
    }

    /// Idempotency keys belong to whoever sends them: a customer's never meet a merchant's.
    func idempotencyScope(merchantID: String) -> String {
        if let customer = identity?.customerID { return "customer:\(customer)" }
        return "merchant:\(merchantID)"
    }
}
