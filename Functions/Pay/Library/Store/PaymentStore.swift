import FunctionKit
import SmartPayCore
import SmartPayEvents

/// The payments themselves: read, written with their events (the outbox), listed by owner.
public protocol PaymentRecords: Sendable {
    func load(_ id: String) async throws -> Payment?

    /// Writes the payment if the stored one is still at `expectedVersion` (0: none yet), together with `events`
    /// (the outbox) and the idempotency outcome, in one atomic step. The payment's version is incremented.
    /// `later` are events for the bus to deliver at their time (a watcher's next look), written in the same step.
    /// A failed or canceled payment leaves the customer's spending window in the same step.
    /// - Returns: the payment as written.
    /// - Throws: `PaymentStoreError.versionConflict` when another write came first; nothing is written then.
    func commit(
        _ payment: Payment, expectedVersion: Int, events: [OutgoingEvent], later: ScheduledEvents?,
        completing: IdempotencyRecord?
    ) async throws -> Payment

    /// Payments of a customer or merchant, newest first.
    func list(_ owner: PaymentOwner, limit: Int, startingAfter: String?) async throws -> (
        payments: [Payment], hasMore: Bool
    )
}

/// Idempotency keys, 24 hours each.
public protocol IdempotencyKeys: Sendable {
    /// Claims `key` for a new request; or returns what the key already holds.
    func beginIdempotent(_ record: IdempotencyRecord) async throws -> IdempotencyRecord?
    func idempotencyRecord(scope: String, key: String) async throws -> IdempotencyRecord?
    /// Frees a claimed key whose request failed before anything happened, so that a retry runs afresh.
    func releaseIdempotent(scope: String, key: String, requestID: String) async throws
}

/// Each customer's rolling 24-hour spending window per currency (the KYC limits).
public protocol SpendingWindows: Sendable {
    /// Counts the payment in the customer's rolling window unless that breaks a limit.
    func reserveSpend(
        customerID: String, money: Money, paymentID: String, limits: SpendLimits, now: Timestamp
    ) async throws -> SpendCheck
    func releaseSpend(customerID: String, money: Money, paymentID: String) async throws
}

/// Merchants' terms and customers' KYC levels.
public protocol PartyProfiles: Sendable {
    func merchant(_ id: String) async throws -> MerchantProfile?
    func saveMerchant(_ profile: MerchantProfile) async throws
    func customer(_ id: String) async throws -> CustomerProfile?
    func saveCustomer(_ profile: CustomerProfile) async throws
}

/// Short exclusive locks on one payment, for refunds and cancels.
public protocol PaymentLocks: Sendable {
    /// - Returns: false when someone else holds the lock.
    func lock(_ paymentID: String, owner: String) async throws -> Bool
    func unlock(_ paymentID: String, owner: String) async throws
}

/// Everything pay keeps: `RedisPaymentStore` in production and under serve, `InMemoryPaymentStore` in fast tests.
public typealias PaymentStore = PaymentRecords & IdempotencyKeys & SpendingWindows & PartyProfiles & PaymentLocks

public enum PaymentOwner: Sendable, Equatable {
    case customer(String)
    case merchant(String)
}

public struct PaymentStoreError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public static func versionConflict(_ id: String) -> PaymentStoreError {
        PaymentStoreError(description: "payment \(id) was changed concurrently")
    }
}

/// What an idempotency key holds for 24 hours.
public struct IdempotencyRecord: Codable, Sendable, Equatable {
    public enum State: String, Codable, Sendable {
        case inProgress = "in_progress"
        case completed
    }

    /// Keys are the caller's own: a merchant's, or a customer's.
    public var scope: String
    public var key: String
    public var state: State
    public var fingerprint: String
    public var parameters: JSONValue
    /// The invocation that claimed it.
    public var requestID: String
    public var paymentID: String
    /// The stored answer, once completed.
    public var httpStatus: Int?
    public var response: JSONValue?

    enum CodingKeys: String, CodingKey {
        case scope, key, state, fingerprint, parameters, response
        case requestID = "request_id"
        case paymentID = "payment_id"
        case httpStatus = "http_status"
    }

    public init(
        scope: String, key: String, state: State, fingerprint: String, parameters: JSONValue, requestID: String,
        paymentID: String, httpStatus: Int? = nil, response: JSONValue? = nil
    ) {
        self.scope = scope
        self.key = key
        self.state = state
        self.fingerprint = fingerprint
        self.parameters = parameters
        self.requestID = requestID
        self.paymentID = paymentID
        self.httpStatus = httpStatus
        self.response = response
    }

    public static let retentionSeconds = 86_400
}

/// A merchant's terms: the platform fee, what a high-risk payment does, where it sells.
public struct MerchantProfile: Codable, Sendable, Equatable {
    public enum HighRiskPolicy: String, Codable, Sendable {
        /// Fail the payment (`fraud_declined`).
        case decline
        /// Hold it in `requires_action` (`risk_review`) for the merchant to cancel or let go later.
        case review
    }

    public var id: String
    public var feeBasisPoints: Int64
    /// In the payment currency's minor units.
    public var feeFixed: Int64
    public var highRisk: HighRiskPolicy
    public var country: String?
    public var category: String?

    enum CodingKeys: String, CodingKey {
        case id, country, category
        case feeBasisPoints = "fee_bps"
        case feeFixed = "fee_fixed"
        case highRisk = "high_risk"
    }

    public init(
        id: String, feeBasisPoints: Int64, feeFixed: Int64, highRisk: HighRiskPolicy = .decline,
        country: String? = nil, category: String? = nil
    ) {
        self.id = id
        self.feeBasisPoints = feeBasisPoints
        self.feeFixed = feeFixed
        self.highRisk = highRisk
        self.country = country
        self.category = category
    }

    /// The platform fee on `money`: `fixed + amount × bps / 10,000`, the percentage rounded half up (half a minor
    /// unit goes to the platform), never more than the amount itself.
    public func fee(on money: Money) throws(MoneyError) -> Int64 {
        let percentage = try money.share(basisPoints: feeBasisPoints, rounding: .halfUp).minorUnits
        let (total, overflow) = percentage.addingReportingOverflow(feeFixed)
        if overflow { throw .overflow("fee on \(money)") }
        return min(max(total, 0), money.minorUnits)
    }
}

public struct CustomerProfile: Codable, Sendable, Equatable {
    public var id: String
    public var kycLevel: String

    enum CodingKeys: String, CodingKey {
        case id
        case kycLevel = "kyc_level"
    }

    public init(id: String, kycLevel: String) {
        self.id = id
        self.kycLevel = kycLevel
    }
}

/// One customer's limits in one currency, in minor units.
public struct SpendLimits: Sendable, Equatable {
    public var perTransaction: Int64
    public var rolling24h: Int64

    public init(perTransaction: Int64, rolling24h: Int64) {
        self.perTransaction = perTransaction
        self.rolling24h = rolling24h
    }
}

public enum SpendCheck: Sendable, Equatable {
    case reserved(spentBefore: Int64)
    case overTransactionLimit(limit: Int64)
    case overDailyLimit(limit: Int64, spent: Int64)
}

extension PaymentRecords {
    public func commit(
        _ payment: Payment, expectedVersion: Int, events: [OutgoingEvent], completing: IdempotencyRecord?
    ) async throws -> Payment {
        try await commit(payment, expectedVersion: expectedVersion, events: events, later: nil, completing: completing)
    }
}
