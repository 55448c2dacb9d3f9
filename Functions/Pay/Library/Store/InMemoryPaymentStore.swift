import FunctionKit
import SmartPayCore
import SmartPayEvents
import Synchronization

/// The payment store in memory, with the Redis store's semantics (versioned commits with their events in one step,
/// idempotency claims, the rolling spending window, locks — which do not expire here), for fast tests of the flow. Published events are kept in
/// `published` in the order they were committed.
public final class InMemoryPaymentStore: PaymentStore {
    struct State {
        var payments: [String: Payment] = [:]
        var idempotency: [String: IdempotencyRecord] = [:]
        /// By customer and currency: (payment id, amount, when).
        var spending: [String: [(paymentID: String, amount: Int64, at: Int64)]] = [:]
        var merchants: [String: MerchantProfile] = [:]
        var customers: [String: CustomerProfile] = [:]
        var locks: [String: String] = [:]
        var published: [OutgoingEvent] = []
        var scheduled: [ScheduledEvents] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// Every event committed, in order.
    public var published: [OutgoingEvent] { state.withLock { $0.published } }
    /// Every delayed event committed, in order.
    public var scheduled: [ScheduledEvents] { state.withLock { $0.scheduled } }

    public func load(_ id: String) async throws -> Payment? { state.withLock { $0.payments[id] } }

    public func commit(
        _ payment: Payment, expectedVersion: Int, events: [OutgoingEvent], later: ScheduledEvents?,
        completing: IdempotencyRecord?
    ) async throws -> Payment {
        for event in events + (later?.events ?? []) { _ = try event.envelope() }  // refused as Redis would, first
        return try state.withLock { state throws(PaymentStoreError) -> Payment in
            guard (state.payments[payment.id]?.version ?? 0) == expectedVersion else {
                throw PaymentStoreError.versionConflict(payment.id)
            }
            var written = payment
            written.version = expectedVersion + 1
            state.payments[payment.id] = written
            if let completing { state.idempotency[Self.key(completing.scope, completing.key)] = completing }
            if [.failed, .canceled].contains(payment.status) {
                state.spending[Self.key(payment.customerID, payment.currency.code)]?.removeAll {
                    $0.paymentID == payment.id
                }
            }
            state.published += events
            if let later { state.scheduled.append(later) }
            return written
        }
    }

    public func list(_ owner: PaymentOwner, limit: Int, startingAfter: String?) async throws -> (
        payments: [Payment], hasMore: Bool
    ) {
        let all = state.withLock { state in
            state.payments.values.filter {
                switch owner {
                case .customer(let id): $0.customerID == id
                case .merchant(let id): $0.merchantID == id
                }
            }
        }
        let sorted = all.sorted { ($0.created, $0.id) > ($1.created, $1.id) }
        var start = 0
        if let startingAfter {
            guard let index = sorted.firstIndex(where: { $0.id == startingAfter }) else {
                throw PaymentError.invalid("starting_after", "no payment \(startingAfter) in this list")
            }
            start = index + 1
        }
        let page = Array(sorted.dropFirst(start).prefix(limit))
        return (page, sorted.count > start + limit)
    }

    public func beginIdempotent(_ record: IdempotencyRecord) async throws -> IdempotencyRecord? {
        state.withLock { state in
            let key = Self.key(record.scope, record.key)
            if let existing = state.idempotency[key] { return existing }
            state.idempotency[key] = record
            return nil
        }
    }

    public func idempotencyRecord(scope: String, key: String) async throws -> IdempotencyRecord? {
        state.withLock { $0.idempotency[Self.key(scope, key)] }
    }

    public func releaseIdempotent(scope: String, key: String, requestID: String) async throws {
        state.withLock { state in
            let key = Self.key(scope, key)
            if let record = state.idempotency[key], record.state == .inProgress, record.requestID == requestID {
                state.idempotency[key] = nil
            }
        }
    }

    public func reserveSpend(
        customerID: String, money: Money, paymentID: String, limits: SpendLimits, now: Timestamp
    ) async throws -> SpendCheck {
        state.withLock { state in
            let key = Self.key(customerID, money.currency.code)
            let since = now.millisecondsSinceEpoch - 86_400_000
            state.spending[key, default: []].removeAll { $0.at <= since }
            guard money.minorUnits <= limits.perTransaction else {
                return .overTransactionLimit(limit: limits.perTransaction)
            }
            let spent = state.spending[key, default: []].reduce(Int64(0)) { $0 + $1.amount }
            guard spent + money.minorUnits <= limits.rolling24h else {
                return .overDailyLimit(limit: limits.rolling24h, spent: spent)
            }
            state.spending[key, default: []].append((paymentID, money.minorUnits, now.millisecondsSinceEpoch))
            return .reserved(spentBefore: spent)
        }
    }

    public func releaseSpend(customerID: String, money: Money, paymentID: String) async throws {
        state.withLock { state in
            state.spending[Self.key(customerID, money.currency.code)]?.removeAll { $0.paymentID == paymentID }
        }
    }

    public func merchant(_ id: String) async throws -> MerchantProfile? { state.withLock { $0.merchants[id] } }
    public func saveMerchant(_ profile: MerchantProfile) async throws {
        state.withLock { $0.merchants[profile.id] = profile }
    }
    public func customer(_ id: String) async throws -> CustomerProfile? { state.withLock { $0.customers[id] } }
    public func saveCustomer(_ profile: CustomerProfile) async throws {
        state.withLock { $0.customers[profile.id] = profile }
    }

    public func lock(_ paymentID: String, owner: String) async throws -> Bool {
        state.withLock { state in
            guard state.locks[paymentID] == nil else { return false }
            state.locks[paymentID] = owner
            return true
        }
    }

    public func unlock(_ paymentID: String, owner: String) async throws {
        state.withLock { state in
            if state.locks[paymentID] == owner { state.locks[paymentID] = nil }
        }
    }

    static func key(_ parts: String...) -> String { parts.joined(separator: ":") }
}
