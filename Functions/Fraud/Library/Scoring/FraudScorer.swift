import SmartPayContracts
import SmartPayCore

/// Thresholds and rules. The score thresholds come from the model file (chosen by the training script from the
/// evaluation), overridden by `FRAUD_REVIEW_THRESHOLD` and `FRAUD_DECLINE_THRESHOLD`; the velocity rules by
/// `FRAUD_VELOCITY_10MIN` and `FRAUD_VELOCITY_1H` (a card, IP or device at or above the count goes to review).
public struct FraudPolicy: Sendable, Equatable {
    public var reviewThreshold: Double
    public var declineThreshold: Double
    public var velocity10Minutes: Int
    public var velocity1Hour: Int

    /// Used when neither the model file nor the environment sets thresholds.
    public static let fallbackReview = 0.2
    public static let fallbackDecline = 0.6

    public init(
        reviewThreshold: Double = fallbackReview, declineThreshold: Double = fallbackDecline,
        velocity10Minutes: Int = 5, velocity1Hour: Int = 20
    ) {
        self.reviewThreshold = reviewThreshold
        self.declineThreshold = declineThreshold
        self.velocity10Minutes = velocity10Minutes
        self.velocity1Hour = velocity1Hour
    }

    /// Reads the settings (the function's environment) over the model's thresholds.
    /// - Throws: `FraudPolicyError` naming a malformed or inconsistent setting.
    public init(settings: [String: String], model: FraudModel) throws(FraudPolicyError) {
        func threshold(_ key: String, _ fallback: Double) throws(FraudPolicyError) -> Double {
            guard let text = settings[key] else { return fallback }
            guard let value = Double(text), value > 0, value < 1 else { throw .notProbability(key, got: text) }
            return value
        }
        func integer(_ key: String, _ fallback: Int) throws(FraudPolicyError) -> Int {
            guard let text = settings[key] else { return fallback }
            guard let value = Int(text) else { throw .notInteger(key, got: text) }
            return value
        }
        reviewThreshold = try threshold("FRAUD_REVIEW_THRESHOLD", model.reviewThreshold ?? Self.fallbackReview)
        declineThreshold = try threshold("FRAUD_DECLINE_THRESHOLD", model.declineThreshold ?? Self.fallbackDecline)
        guard reviewThreshold <= declineThreshold else {
            throw .thresholdsCrossed(review: reviewThreshold, decline: declineThreshold)
        }
        velocity10Minutes = try integer("FRAUD_VELOCITY_10MIN", 5)
        velocity1Hour = try integer("FRAUD_VELOCITY_1H", 20)
    }
}

/// Features in, verdict out: the model's score, the tier and decision from the thresholds, the rules on top
/// (blocklists decline; velocity sends to review), and the reasons.
public struct FraudScorer: Sendable {
    public let model: FraudModel
    public let policy: FraudPolicy
    /// How many feature reasons a verdict lists at most.
    public var maximumFeatureReasons = 3

    public init(model: FraudModel, policy: FraudPolicy) {
        self.model = model
        self.policy = policy
    }

    public func verdict(
        for transaction: FraudTransaction, history: FeatureHistory, blocklisted: [BlocklistKind]
    ) -> FraudVerdict {
        let features = FeatureExtractor.features(of: transaction.featureTransaction, history: history)
        let score = model.trees.probability(features)
        var tier = RiskTier(score: score, medium: policy.reviewThreshold, high: policy.declineThreshold)
        var reasons = blocklisted.map {
            FraudReason(code: "BLOCKLIST_\($0.rawValue.uppercased())", label: $0.reasonLabel)
        }
        if !blocklisted.isEmpty { tier = .high }
        let velocity = velocityReasons(features)
        if !velocity.isEmpty { tier = max(tier, .medium) }
        reasons += velocity
        reasons += modelReasons(features)
        if features[FraudFeature.countryMismatch.rawValue] == 1,
            !reasons.contains(where: { $0.code == FraudFeature.countryMismatch.name })
        {
            // A signal worth showing to a reviewer even when the model gives it no weight.
            reasons.append(
                FraudReason(
                    code: FraudFeature.countryMismatch.name, label: FraudFeature.countryMismatch.label, value: 1))
        }
        let decision: FraudDecision =
            switch tier {
            case .low: .approve
            case .medium: .review
            case .high: .decline
            }
        return FraudVerdict(
            transactionID: transaction.id, score: score, tier: tier, decision: decision, reasons: reasons,
            modelVersion: model.version, cached: false)
    }

    /// A card, IP address or device used at or above the policy's limit in 10 minutes or an hour.
    private func velocityReasons(_ features: [Float]) -> [FraudReason] {
        let velocityRules: [(FraudFeature, Int, String)] = [
            (.cardCount10Minutes, policy.velocity10Minutes, "VELOCITY_CARD_10MIN"),
            (.cardCount1Hour, policy.velocity1Hour, "VELOCITY_CARD_1H"),
            (.ipCount10Minutes, policy.velocity10Minutes, "VELOCITY_IP_10MIN"),
            (.ipCount1Hour, policy.velocity1Hour, "VELOCITY_IP_1H"),
            (.deviceCount10Minutes, policy.velocity10Minutes, "VELOCITY_DEVICE_10MIN"),
            (.deviceCount1Hour, policy.velocity1Hour, "VELOCITY_DEVICE_1H"),
        ]
        var reasons: [FraudReason] = []
        for (feature, limit, code) in velocityRules {
            let value = features[feature.rawValue]
            guard !value.isNaN, limit > 0, Int(value) >= limit else { continue }
            reasons.append(
                FraudReason(
                    code: code, label: "\(feature.label): \(Int(value)), at or above \(limit)", value: Double(value)))
        }
        return reasons
    }

    /// The features that raise the score most, at most `maximumFeatureReasons`, largest first.
    private func modelReasons(_ features: [Float]) -> [FraudReason] {
        let (_, contributions) = model.trees.contributions(features)
        let ranked = contributions.indices
            .filter { contributions[$0] > 0 }
            .sorted { contributions[$0] > contributions[$1] }
            .prefix(maximumFeatureReasons)
        return ranked.map { index in
            let feature = FraudFeature(rawValue: index)!
            let value = features[index]
            return FraudReason(
                code: feature.name, label: feature.label, value: value.isNaN ? nil : Double(value),
                contribution: (contributions[index] * 10_000).rounded() / 10_000)
        }
    }
}
