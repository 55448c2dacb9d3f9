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
public struct FraudHandler: RoutedFunction {
    public static let routes = FunctionRoutes<FraudHandler>(defaultAction: FraudRequest.action) { routes in
        routes.http("POST /fraud", body: FraudRequest.self) { fraud, request, _, context in
            try await fraud.score(try FraudTransaction(request, defaultTime: .now()), context: context)
        }
        routes.call(FraudRequest.self) { fraud, request, context in
            try await fraud.score(try FraudTransaction(request, defaultTime: .now()), context: context)
        }
        routes.event(FraudRequest.requestedDetailType, detail: FraudRequest.self) { fraud, request, envelope, context in
            let time = (try? Timestamp(rfc3339: envelope.time)) ?? .now()
            return try await fraud.score(try FraudTransaction(request, defaultTime: time), context: context)
        }
        routes.http("POST /fraud/reports", body: FraudReported.self) { fraud, report, _, _ in
            try await fraud.label(report)
        }
        routes.event(FraudReported.self) { fraud, report, _, _ in try await fraud.label(report) }
        routes.event(ChargebackReceived.self) { fraud, chargeback, _, _ in
            // fraud's transaction id is pay's payment id, its terminal pay's merchant.
            try await fraud.label(
                FraudReported(
                    transactionID: chargeback.paymentID, merchantID: chargeback.merchantID,
                    timestamp: chargeback.timestamp, reason: chargeback.reason))
        }
    }

    public static let eventSource = FraudDetected.source

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
        let policy = try FraudPolicy(settings: context.configuration.values, model: model)
        let redis = try RedisClient(url: redisURL, maximumConnections: 4, service: "the fraud store")
        self.init(store: RedisFraudStore(redis: redis), scorer: FraudScorer(model: model, policy: policy))
        context.logger.info(
            "fraud model loaded",
            metadata: [
                "model_version": .string(model.version), "trees": .stringConvertible(model.trees.treeCount),
                "review_threshold": .stringConvertible(policy.reviewThreshold),
                "decline_threshold": .stringConvertible(policy.declineThreshold),
            ])
    }

    /// Scores a transaction, or returns its cached verdict.
    public func score(_ transaction: FraudTransaction, context: InvocationContext) async throws -> FraudVerdict {
        let scorer = self.scorer
        let outcome = try await store.scoreOnce(transaction) { history, blocklisted in
            let verdict = scorer.verdict(for: transaction, history: history, blocklisted: blocklisted)
            let events = verdict.tier == .high ? [try Self.detectedEvent(transaction, verdict)] : []
            return FreshVerdict(value: verdict, json: try Self.encode(verdict), events: events)
        }
        switch outcome {
        case .cached(let json):
            return try Self.cachedVerdict(json)
        case .fresh(let verdict, let stored):
            if !stored {
                // Another call for the same transaction stored its verdict first: answer with that one.
                if case .cached(let json) = try await store.observe(transaction) {
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

    func label(_ report: FraudReported) async throws -> LabelOutcome {
        let id = report.transactionID
        guard !id.isEmpty else {
            throw FunctionError.validation("transaction_id", "is required (the reported transaction's id)")
        }
        let terminal = report.terminalID ?? report.merchantID
        var time: Int64?
        if let text = report.timestamp {
            guard let parsed = try? Timestamp(rfc3339: text) else {
                throw FunctionError.validation("timestamp", "expected the transaction's RFC 3339 time, got \"\(text)\"")
            }
            time = FraudTransaction.floorSeconds(parsed.millisecondsSinceEpoch)
        }
        do {
            return try await store.recordFraud(transactionID: id, terminalID: terminal, time: time)
        } catch let error as FraudStoreError {
            throw FunctionError(.validation, error.description, field: "transaction_id")
        }
    }

    static func detectedEvent(_ transaction: FraudTransaction, _ verdict: FraudVerdict) throws -> OutgoingEvent {
        try OutgoingEvent(
            source: eventSource,
            FraudDetected(
                transactionID: transaction.id, customerID: transaction.customerID, terminalID: transaction.terminalID,
                amount: transaction.money.minorUnits, currency: transaction.money.currency, score: verdict.score,
                tier: verdict.tier, decision: verdict.decision.rawValue, reasons: verdict.reasons.map(\.code),
                modelVersion: verdict.modelVersion))
    }

    static func encode(_ verdict: FraudVerdict) throws -> [UInt8] {
        try JSONValueEncoder().encode(verdict).serialized()
    }

    static func cachedVerdict(_ bytes: [UInt8]) throws -> FraudVerdict {
        var verdict = try JSONValueDecoder().decode(FraudVerdict.self, from: bytes)
        verdict.cached = true
        return verdict
    }
}

extension FraudInputError: FunctionErrorConvertible {
    public var functionError: FunctionError { .validation(field, reason) }
}

extension FraudPolicyError: FunctionErrorConvertible {
    /// A setting the deployment got wrong: a fault of ours, not the caller's.
    public var functionError: FunctionError { FunctionError(.internal, description, underlying: self) }
}
