import SmartPayCore

/// A payment: what was asked, where it stands, and everything that happened to it.
///
/// Stored as JSON (snake_case keys, explicit so that metadata keys are never rewritten). `version` grows by one
/// with every write; a write that expected another version is refused, so two concurrent actions on one payment
/// (a refund and a cancel) cannot both apply.
public struct Payment: Codable, Sendable, Equatable {
    public var id: String
    public var status: PaymentStatus
    /// What is charged; stored as `amount` (minor units) and `currency` beside the other fields. A stored currency
    /// that is not a known code is a decoding error, never a default.
    public var money: Money
    public var customerID: String
    public var merchantID: String
    public var paymentMethod: PaymentMethodDetails
    public var description: String?
    public var metadata: [String: String]
    /// The gateway that charged it (or was last tried).
    public var gateway: String?
    /// The routing decision it followed; route learns from the outcome under this id.
    public var decisionID: String?
    public var risk: Risk?
    /// A medium-risk payment proceeds and is flagged for the merchant.
    public var flagged: Bool
    public var nextAction: JSONValue?
    /// Why it failed, when it did: a stable code and plain words.
    public var failure: Failure?
    /// The platform's fee and what the merchant receives, in the payment's minor units.
    public var fee: Int64
    public var net: Int64
    public var amountRefunded: Int64
    /// The gateway's own id for the charge (a PaymentIntent `pi_…`, an Amazon Pay `chargeId`, a reference key).
    public var gatewayReference: String?
    public var idempotencyKey: String?
    public var attempts: [Attempt]
    public var refunds: [Refund]
    public var history: [Transition]
    public var created: Timestamp
    public var updated: Timestamp
    public var version: Int
    /// An on-chain pay-in's transfer and its depth (Solana), while and after it is watched.
    public var chain: ChainPayment?
    /// The merchant's category when the payment was made (reward's multipliers read it from payment.processed).
    public var merchantCategory: String?

    public struct Risk: Codable, Sendable, Equatable {
        public var score: Double
        public var tier: RiskTier
        public var decision: String?
        public var reasons: [String]

        public init(score: Double, tier: RiskTier, decision: String?, reasons: [String]) {
            self.score = score
            self.tier = tier
            self.decision = decision
            self.reasons = reasons
        }
    }

    public struct Failure: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        /// Who said no: `gateway`, `fraud`, `compliance`, `platform`.
        public var source: String
    }

    /// One call to a gateway.
    public struct Attempt: Codable, Sendable, Equatable {
        public var number: Int
        public var gateway: String
        /// `succeeded`, `requires_action`, `processing`, `declined`, `processor_error`, `timeout`.
        public var outcome: String
        public var latencyMs: Int
        public var errorCode: String?
        public var reference: String?
        /// The idempotency key the gateway saw: `{payment id}:attempt:{number}`.
        public var idempotencyKey: String
        public var at: Timestamp

        enum CodingKeys: String, CodingKey {
            case number, gateway, outcome, reference, at
            case latencyMs = "latency_ms"
            case errorCode = "error_code"
            case idempotencyKey = "idempotency_key"
        }
    }

    public struct Refund: Codable, Sendable, Equatable {
        public var id: String
        public var amount: Int64
        public var reason: String?
        public var gatewayReference: String?
        public var at: Timestamp

        enum CodingKeys: String, CodingKey {
            case id, amount, reason, at
            case gatewayReference = "gateway_reference"
        }
    }

    /// One entry of the append-only history.
    public struct Transition: Codable, Sendable, Equatable {
        public var from: PaymentStatus?
        public var to: PaymentStatus
        public var at: Timestamp
        /// Who caused it: `customer:c_7`, `merchant:m_42`, `gateway:stripe`, `platform`.
        public var actor: String
        public var reason: String

        public init(from: PaymentStatus?, to: PaymentStatus, at: Timestamp, actor: String, reason: String) {
            self.from = from
            self.to = to
            self.at = at
            self.actor = actor
            self.reason = reason
        }
    }

    enum CodingKeys: String, CodingKey {
        case id, status, amount, currency, description, metadata, gateway, risk, flagged, failure, fee, net
        case attempts, refunds, history, created, updated, version, chain
        case merchantCategory = "merchant_category"
        case customerID = "customer_id"
        case merchantID = "merchant_id"
        case paymentMethod = "payment_method"
        case decisionID = "decision_id"
        case nextAction = "next_action"
        case amountRefunded = "amount_refunded"
        case gatewayReference = "gateway_reference"
        case idempotencyKey = "idempotency_key"
    }

    /// A new payment, waiting for its method to be charged: created by `actor` at `time`, with the merchant's
    /// `fee` (the merchant nets the rest); everything else starts empty.
    public init(
        id: String, money: Money, customerID: String, merchantID: String, paymentMethod: PaymentMethodDetails,
        fee: Int64, description: String? = nil, metadata: [String: String] = [:], idempotencyKey: String? = nil,
        createdBy actor: String, at time: Timestamp = .now()
    ) {
        self.id = id
        self.status = .requiresPaymentMethod
        self.money = money
        self.customerID = customerID
        self.merchantID = merchantID
        self.paymentMethod = paymentMethod
        self.description = description
        self.metadata = metadata
        self.flagged = false
        self.fee = fee
        self.net = money.minorUnits - fee
        self.amountRefunded = 0
        self.idempotencyKey = idempotencyKey
        self.attempts = []
        self.refunds = []
        self.history = [Transition(from: nil, to: .requiresPaymentMethod, at: time, actor: actor, reason: "created")]
        self.created = time
        self.updated = time
        self.version = 0
    }

    /// The amount in minor units of `currency`.
    public var amount: Int64 { money.minorUnits }
    public var currency: Currency { money.currency }

    /// Moves to `next`, appending the transition to the history.
    /// - Throws: `PaymentError` for a move the state machine does not allow; nothing changes then.
    public mutating func transition(
        to next: PaymentStatus, actor: String, reason: String, at time: Timestamp = .now()
    ) throws(PaymentError) {
        try status.validateTransition(to: next)
        history.append(Transition(from: status, to: next, at: time, actor: actor, reason: reason))
        status = next
        updated = time
    }
}

/// How the customer pays, as stored (tokens only, never a card number).
public struct PaymentMethodDetails: Codable, Sendable, Equatable {
    public enum Kind: String, Codable, Sendable, CaseIterable {
        case card
        case wallet
        case crypto
        case rewards
    }

    public var type: Kind
    /// A gateway's token for the method, by gateway name (`stripe`: a PaymentMethod `pm_…`; `amazon_pay`: a
    /// charge permission id). `{"type": "card", "token": "pm_card_visa"}` is the short form of a Stripe token.
    public var tokens: [String: String]
    /// The card's network (`visa`), when known; it helps routing.
    public var network: String?
    /// For crypto: the chain (`solana`) and the asset (`SOL` or an SPL token's mint).
    public var chain: String?
    public var asset: String?
    /// The payer's wallet address, when the customer gave it.
    public var payer: String?

    public init(
        type: Kind, tokens: [String: String] = [:], network: String? = nil, chain: String? = nil,
        asset: String? = nil, payer: String? = nil
    ) {
        self.type = type
        self.tokens = tokens
        self.network = network
        self.chain = chain
        self.asset = asset
        self.payer = payer
    }

    /// The route function's name for the method.
    public var routeMethod: String {
        switch type {
        case .card: "card"
        case .wallet, .rewards: "wallet"
        case .crypto: "crypto"
        }
    }
}
