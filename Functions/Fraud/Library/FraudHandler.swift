import FunctionKit
import Logging
import SmartPayContracts
import SmartPayCore
import SmartPayEvents
import SmartPayRedis

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The fraud function.
///
/// - A transaction (direct, `POST /fraud`, or the bus's `payment.requested`) gets a verdict: score, tier, decision,
///   reasons, model version. The verdict is cached 30 minutes per transaction id: scoring the same transaction again
///   returns it with `cached: true` and does not count the transaction twice in any history. A `high` verdict
///   publishes `fraud.detected` on the bus in the same atomic write as the cache entry.
/// - A fraud label (the bus's `fraud.reported` or `chargeback.received`, or `POST /fraud/reports`) marks the
///   transaction as fraud for its terminal's risk features.
///
/// Configuration: `REDIS_URL` (required), `FRAUD_MODEL_PATH` (default: see `FraudModel.locate`), and the policy's
/// thresholds (`FraudPolicy`).
public struct FraudHandler: FunctionHandler {
    public typealias Event = JSONValue

    public enum Output: Encodable, Sendable {
        case verdict(FraudVerdict)
        case label(LabelOutcome)

        public func encode(to encoder: any Encoder) throws {
            switch self {
            case .verdict(let verdict): try verdict.encode(to: encoder)
            case .label(let outcome): try outcome.encode(to: encoder)
            }
        }
    }

    /// The bus detail types that carry a fraud label.
    public static let labelDetailTypes: Set<String> = ["fraud.reported", "chargeback.received"]
    public static let eventSource = "smartpay.fraud"

    public let store: any FraudStore
    public let scorer: FraudScorer

    public init(store: any FraudStore, scorer: FraudScorer) {
        self.store = store
        self.scorer = scorer
    }

    public init(context: InitializationContext) async throws {
        let redisURL = try context.configuration.require("REDIS_URL")
        let path = try FraudModel.locate(configured: context.configuration["FRAUD_MODEL_PATH"])
        let model = try FraudModel.load(path: path)
        let policy = try FraudPolicy(configuration: context.configuration, model: model)
        let redis = try RedisClient(url: redisURL, maximumConnections: 4)
        self.init(store: RedisFraudStore(redis: redis), scorer: FraudScorer(model: model, policy: policy))
        context.logger.info(
            "fraud model loaded",
            metadata: [
                "model_version": .string(model.version), "trees": .stringConvertible(model.trees.treeCount),
                "review_threshold": .stringConvertible(policy.reviewThreshold),
                "decline_threshold": .stringConvertible(policy.declineThreshold),
            ])
    }

    public func handle(_ event: JSONValue, context: InvocationContext) async throws -> Output {
        switch context.source {
        case .eventBridge(let envelope):
            if Self.labelDetailTypes.contains(envelope.detailType) {
                return .label(try await label(event))
            }
            guard envelope.detailType == "payment.requested" else {
                throw FunctionError(
                    .invalidRequest,
                    "fraud handles payment.requested, fraud.reported and chargeback.received events, "
                        + "not \(envelope.detailType)")
            }
            let time = (try? Timestamp(rfc3339: envelope.time)) ?? .now()
            return .verdict(try await score(try FraudTransaction(json: event, defaultTime: time), context: context))
        case .httpAPI(let request) where request.path.hasSuffix("/reports"):
            return .label(try await label(event))
        case .httpAPI, .direct:
            return .verdict(try await score(try FraudTransaction(json: event, defaultTime: .now()), context: context))
        case .webSocket:
            throw FunctionError(.invalidRequest, "fraud is not a WebSocket route's integration")
        }
    }

    /// Scores a transaction, or returns its cached verdict.
    public func score(_ transaction: FraudTransaction, context: InvocationContext) async throws -> FraudVerdict {
        let scorer = self.scorer
        let outcome = try await storeCall {
            try await store.scoreOnce(transaction) { history, blocklisted in
                let verdict = scorer.verdict(for: transaction, history: history, blocklisted: blocklisted)
                let events = verdict.tier == .high ? [Self.detectedEvent(transaction, verdict)] : []
                return FreshVerdict(value: verdict, json: try Self.encode(verdict), events: events)
            }
        }
        switch outcome {
        case .cached(let json):
            return try Self.cachedVerdict(json)
        case .fresh(let verdict, let stored):
            if !stored {
                // Another call for the same transaction stored its verdict first: answer with that one.
                if case .cached(let json) = try await storeCall({ try await store.observe(transaction) }) {
                    return try Self.cachedVerdict(json)
                }
            }
            if verdict.tier != .low {
                context.logger.info(
                    "transaction flagged",
                    metadata: [
                        "transaction_id": .string(transaction.id), "tier": .string(verdict.tier.rawValue),
                        "score": .stringConvertible(verdict.score),
                    ])
            }
            return verdict
        }
    }

    func label(_ event: JSONValue) async throws -> LabelOutcome {
        let fields = try EventFields(event, what: "the fraud report")
        guard let id = try fields.string("transaction_id") else {
            throw FunctionError.validation("transaction_id", "is required (the reported transaction's id)")
        }
        let terminal = try fields.string("terminal_id") ?? fields.string("merchant_id")
        var time: Int64?
        if let value = fields["timestamp"] {
            guard let text = value.stringValue, let parsed = try? Timestamp(rfc3339: text) else {
                throw FunctionError.validation(
                    "timestamp", "expected the transaction's RFC 3339 time, got \(value.briefDescription)")
            }
            time = FraudTransaction.floorSeconds(parsed.millisecondsSinceEpoch)
        }
        do {
            return try await storeCall {
                try await store.recordFraud(transactionID: id, terminalID: terminal, time: time)
            }
        } catch let error as FraudStoreError {
            throw FunctionError(.validation, error.description, field: "transaction_id")
        }
    }

    /// Store failures (Redis down) are retryable; the store's own refusals are not.
    func storeCall<T>(_ body: () async throws -> T) async throws -> T {
        try await FunctionError.unavailable(on: RedisError.self, "fraud store", body)
    }

    static func detectedEvent(_ transaction: FraudTransaction, _ verdict: FraudVerdict) -> OutgoingEvent {
        OutgoingEvent(
            source: eventSource, detailType: "fraud.detected",
            detail: .object([
                "transaction_id": .string(transaction.id), "customer_id": .string(transaction.customerID),
                "terminal_id": .string(transaction.terminalID),
                "amount": .number(String(transaction.money.minorUnits)),
                "currency": .string(transaction.money.currency.code), "score": .number(String(verdict.score)),
                "tier": .string(verdict.tier.rawValue), "decision": .string(verdict.decision.rawValue),
                "reasons": .array(verdict.reasons.map { .string($0.code) }),
                "model_version": .string(verdict.modelVersion),
            ]))
    }

    static func encode(_ verdict: FraudVerdict) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return Array(try encoder.encode(verdict))
    }

    static func cachedVerdict(_ bytes: [UInt8]) throws -> FraudVerdict {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        var verdict = try decoder.decode(FraudVerdict.self, from: Data(bytes))
        verdict.cached = true
        return verdict
    }
}
