/// A policy setting that cannot be used, naming it: a fault of the deployment's configuration, not of a request.
public struct FraudPolicyError: Error, Sendable, Equatable, CustomStringConvertible {
    private enum Kind: Equatable {
        case notProbability(setting: String, text: String)
        case notInteger(setting: String, text: String)
        case thresholdsCrossed(review: Double, decline: Double)
    }

    private let kind: Kind
    private init(_ kind: Kind) { self.kind = kind }

    /// A threshold that is not a probability in (0, 1).
    public static func notProbability(_ setting: String, got text: String) -> FraudPolicyError {
        FraudPolicyError(.notProbability(setting: setting, text: text))
    }

    /// A count that is not an integer.
    public static func notInteger(_ setting: String, got text: String) -> FraudPolicyError {
        FraudPolicyError(.notInteger(setting: setting, text: text))
    }

    /// A review threshold above the decline threshold.
    public static func thresholdsCrossed(review: Double, decline: Double) -> FraudPolicyError {
        FraudPolicyError(.thresholdsCrossed(review: review, decline: decline))
    }

    public var description: String {
        switch kind {
        case .notProbability(let setting, let text):
            "configuration \(setting) must be a probability in (0, 1), got \"\(text)\""
        case .notInteger(let setting, let text): "configuration \(setting) must be an integer, got \"\(text)\""
        case .thresholdsCrossed(let review, let decline):
            "FRAUD_REVIEW_THRESHOLD (\(review)) is above FRAUD_DECLINE_THRESHOLD (\(decline))"
        }
    }
}
