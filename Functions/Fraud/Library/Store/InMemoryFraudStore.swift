import SmartPayCore
import SmartPayEvents
import Synchronization

/// The fraud store's test double: the same contract as `RedisFraudStore` (record once per id, the same windows,
/// verdicts cached, labels by record), in memory, with the published events kept for inspection. Verdicts do not
/// expire here.
public final class InMemoryFraudStore: FraudStore {
    struct State {
        var verdicts: [String: [UInt8]] = [:]
        var records: [String: (terminal: String, time: Int64)] = [:]
        var customers: [String: [(time: Int64, amount: Double)]] = [:]
        var terminals: [String: [Int64]] = [:]
        var terminalFrauds: [String: [String: Int64]] = [:]
        var velocity: [String: [Int64]] = [:]
        var blocklists: [BlocklistKind: Set<String>] = [:]
        var published: [OutgoingEvent] = []
    }

    private let state = Mutex(State())

    public init() {}

    /// The events published with verdicts, in order.
    public var published: [OutgoingEvent] { state.withLock { $0.published } }

    public func observe(_ transaction: FraudTransaction) async throws -> FraudObservation {
        state.withLock { state in
            if let cached = state.verdicts[transaction.id] { return .cached(cached) }
            let t = transaction.seconds
            let amount = transaction.featureTransaction.amount
            let velocityKeys = [
                transaction.cardFingerprint.map { "card:\($0)" }, transaction.ip.map { "ip:\($0)" },
                transaction.deviceID.map { "device:\($0)" },
            ]
            if state.records[transaction.id] == nil {
                state.records[transaction.id] = (transaction.terminalID, t)
                state.customers[transaction.customerID, default: []].append((t, amount))
                state.terminals[transaction.terminalID, default: []].append(t)
                for case let key? in velocityKeys { state.velocity[key, default: []].append(t) }
            }
            var history = FeatureHistory()
            for entry in state.customers[transaction.customerID] ?? []
            where entry.time > t - FeatureExtractor.customerHorizon && entry.time <= t {
                history.customerTimes.append(entry.time)
                history.customerAmounts.append(entry.amount)
            }
            let (start, end) = (t - FeatureExtractor.terminalHorizon, t - FeatureExtractor.labelDelay)
            history.terminalTimes = (state.terminals[transaction.terminalID] ?? []).filter { $0 > start && $0 <= end }
            history.terminalFraudTimes = (state.terminalFrauds[transaction.terminalID] ?? [:]).values
                .filter { $0 > start && $0 <= end }
            func recent(_ key: String?) -> [Int64]? {
                key.map { key in (state.velocity[key] ?? []).filter { $0 > t - 3_600 && $0 <= t } }
            }
            history.cardTimes = recent(velocityKeys[0])
            history.ipTimes = recent(velocityKeys[1])
            history.deviceTimes = recent(velocityKeys[2])
            let blocked = BlocklistKind.allCases.filter { kind in
                kind.value(of: transaction).map { state.blocklists[kind]?.contains($0) ?? false } ?? false
            }
            return .history(history, blocklisted: blocked)
        }
    }

    public func saveVerdict(_ verdict: [UInt8], transactionID: String, events: [OutgoingEvent]) async throws -> Bool {
        state.withLock { state in
            guard state.verdicts[transactionID] == nil else { return false }
            state.verdicts[transactionID] = verdict
            state.published += events
            return true
        }
    }

    public func recordFraud(transactionID: String, terminalID: String?, time: Int64?) async throws -> LabelOutcome {
        try state.withLock { state throws(FraudStoreError) in
            let record = state.records[transactionID]
            guard let terminal = record?.terminal ?? terminalID, let when = record?.time ?? time else {
                throw FraudStoreError.unknownTransaction(transactionID)
            }
            let known = state.terminalFrauds[terminal]?[transactionID] != nil
            state.terminalFrauds[terminal, default: [:]][transactionID] = when
            return LabelOutcome(transactionId: transactionID, terminalId: terminal, recorded: !known)
        }
    }

    public func addToBlocklist(_ kind: BlocklistKind, _ value: String) async throws -> Bool {
        state.withLock { $0.blocklists[kind, default: []].insert(kind.normalize(value)).inserted }
    }

    public func removeFromBlocklist(_ kind: BlocklistKind, _ value: String) async throws -> Bool {
        state.withLock { $0.blocklists[kind]?.remove(kind.normalize(value)) != nil }
    }

    public func blocklist(_ kind: BlocklistKind) async throws -> [String] {
        state.withLock { ($0.blocklists[kind] ?? []).sorted() }
    }
}
