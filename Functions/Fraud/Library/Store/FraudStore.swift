import SmartPayCore
import SmartPayEvents

/// What a blocklist holds: card fingerprints, BINs, IP addresses, email digests, device ids.
public enum BlocklistKind: String, CaseIterable, Sendable {
    case card
    case bin
    case ip
    case email
    case device

    /// The transaction's value for this list, if it has one.
    func value(of transaction: FraudTransaction) -> String? {
        switch self {
        case .card: transaction.cardFingerprint
        case .bin: transaction.cardBIN
        case .ip: transaction.ip
        case .email: transaction.emailDigest
        case .device: transaction.deviceID
        }
    }

    /// How an entry is stored: emails as their digest, IPs in lower case, the rest as given.
    public func normalize(_ value: String) -> String {
        switch self {
        case .email: FraudTransaction.digest(email: value)
        case .ip: value.lowercased()
        default: value
        }
    }

    var reasonLabel: String {
        switch self {
        case .card: "the card fingerprint is on the blocklist"
        case .bin: "the card's BIN is on the blocklist"
        case .ip: "the IP address is on the blocklist"
        case .email: "the email address is on the blocklist"
        case .device: "the device is on the blocklist"
        }
    }
}

/// What the store knows when a transaction arrives.
public enum FraudObservation: Sendable {
    /// The transaction was scored in the last 30 minutes: its verdict as stored.
    case cached([UInt8])
    /// Its history (the transaction itself now recorded, once) and the blocklists it is on.
    case history(FeatureHistory, blocklisted: [BlocklistKind])
}

/// What recording a fraud label did.
public struct LabelOutcome: Sendable, Equatable, Encodable {
    public var transactionId: String
    public var terminalId: String
    /// False when the label was already known (a repeated report changes nothing).
    public var recorded: Bool

    public init(transactionId: String, terminalId: String, recorded: Bool) {
        self.transactionId = transactionId
        self.terminalId = terminalId
        self.recorded = recorded
    }
}

/// The fraud function's state: transaction histories per customer, terminal, card, IP and device; fraud labels;
/// cached verdicts; blocklists. Redis is the real one; `InMemoryFraudStore` the test double.
public protocol FraudStore: Sendable {
    /// Returns the cached verdict, or records the transaction (at most once per id) and returns its history.
    func observe(_ transaction: FraudTransaction) async throws -> FraudObservation

    /// Caches the verdict for `verdictTTL` and publishes `events` with it, atomically, unless a verdict for the id is
    /// already cached (then nothing is written and false is returned).
    func saveVerdict(_ verdict: [UInt8], transactionID: String, events: [OutgoingEvent]) async throws -> Bool

    /// Marks a transaction as fraud for its terminal's risk. The terminal and time come from the store's record of the
    /// transaction, else from the arguments.
    /// - Throws: `FraudStoreError.unknownTransaction` when neither knows them.
    func recordFraud(transactionID: String, terminalID: String?, time: Int64?) async throws -> LabelOutcome

    /// `observe`, then — unless a verdict was cached — `decide` on the history and `saveVerdict` its JSON and events:
    /// the whole of a scoring in one call, so that a store can do it in one go (Redis: one leased connection, one
    /// thread hop instead of two).
    func scoreOnce<Value: Sendable>(
        _ transaction: FraudTransaction,
        decide: @escaping @Sendable (FeatureHistory, [BlocklistKind]) throws -> FreshVerdict<Value>
    ) async throws -> ScoreOnce<Value>

    func addToBlocklist(_ kind: BlocklistKind, _ value: String) async throws -> Bool
    func removeFromBlocklist(_ kind: BlocklistKind, _ value: String) async throws -> Bool
    func blocklist(_ kind: BlocklistKind) async throws -> [String]
}

/// A verdict made from a history: the caller's value, the JSON to cache, the events to publish with it.
public struct FreshVerdict<Value: Sendable>: Sendable {
    public var value: Value
    public var json: [UInt8]
    public var events: [OutgoingEvent]

    public init(value: Value, json: [UInt8], events: [OutgoingEvent]) {
        self.value = value
        self.json = json
        self.events = events
    }
}

/// What `scoreOnce` did.
public enum ScoreOnce<Value: Sendable>: Sendable {
    /// A verdict was cached already: its JSON.
    case cached([UInt8])
    /// A fresh verdict; `stored` is false when a concurrent call stored its own first.
    case fresh(Value, stored: Bool)
}

extension FraudStore {
    /// The two steps one after the other, for stores with nothing to gain from doing them together.
    public func scoreOnce<Value: Sendable>(
        _ transaction: FraudTransaction,
        decide: @escaping @Sendable (FeatureHistory, [BlocklistKind]) throws -> FreshVerdict<Value>
    ) async throws -> ScoreOnce<Value> {
        switch try await observe(transaction) {
        case .cached(let json): return .cached(json)
        case .history(let history, let blocklisted):
            let fresh = try decide(history, blocklisted)
            let stored = try await saveVerdict(fresh.json, transactionID: transaction.id, events: fresh.events)
            return .fresh(fresh.value, stored: stored)
        }
    }
}

public enum FraudStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case unknownTransaction(String)
    case malformed(String)

    public var description: String {
        switch self {
        case .unknownTransaction(let id):
            "transaction \(id) is not known to the fraud store (it was not scored in the last 60 days); "
                + "send terminal_id and timestamp with the report"
        case .malformed(let what): "the fraud store returned a malformed reply: \(what)"
        }
    }
}

/// How long things are kept.
public enum FraudRetention {
    /// A verdict is returned from the cache for 30 minutes (the seed's TTL).
    public static let verdictSeconds = 1_800
    /// A transaction's record (for labels that arrive later, chargebacks included) is kept 60 days.
    public static let recordSeconds = 60 * 86_400
}
