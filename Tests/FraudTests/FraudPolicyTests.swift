import FraudFunction
import FunctionKit
import Logging
import SmartPayCore
import SmartPayRedis
import Testing

@Suite("fraud: the policy reads its settings and refuses bad ones with FraudPolicyError")
struct FraudPolicyTests {
    static let model: FraudModel = try! ModelTests.committedModel()

    @Test("the model's thresholds unless a setting overrides them; the velocity counts default to 5 and 20")
    func reads() throws {
        let model = Self.model
        let defaults = try FraudPolicy(settings: [:], model: model)
        #expect(defaults.reviewThreshold == model.reviewThreshold ?? FraudPolicy.fallbackReview)
        #expect(defaults.declineThreshold == model.declineThreshold ?? FraudPolicy.fallbackDecline)
        #expect(defaults.velocity10Minutes == 5 && defaults.velocity1Hour == 20)
        let set = try FraudPolicy(
            settings: [
                "FRAUD_REVIEW_THRESHOLD": "0.3", "FRAUD_DECLINE_THRESHOLD": "0.7", "FRAUD_VELOCITY_10MIN": "3",
                "FRAUD_VELOCITY_1H": "9",
            ], model: model)
        #expect(set == FraudPolicy(reviewThreshold: 0.3, declineThreshold: 0.7, velocity10Minutes: 3, velocity1Hour: 9))
    }

    @Test(
        "a bad setting is a FraudPolicyError, answered as an internal error (500) with the same words as before",
        arguments: [
            (
                ["FRAUD_REVIEW_THRESHOLD": "1.5"],
                FraudPolicyError.notProbability("FRAUD_REVIEW_THRESHOLD", got: "1.5"),
                "configuration FRAUD_REVIEW_THRESHOLD must be a probability in (0, 1), got \"1.5\""
            ),
            (
                ["FRAUD_DECLINE_THRESHOLD": ""], FraudPolicyError.notProbability("FRAUD_DECLINE_THRESHOLD", got: ""),
                "configuration FRAUD_DECLINE_THRESHOLD must be a probability in (0, 1), got \"\""
            ),
            (
                ["FRAUD_REVIEW_THRESHOLD": "0.8", "FRAUD_DECLINE_THRESHOLD": "0.4"],
                FraudPolicyError.thresholdsCrossed(review: 0.8, decline: 0.4),
                "FRAUD_REVIEW_THRESHOLD (0.8) is above FRAUD_DECLINE_THRESHOLD (0.4)"
            ),
            (
                ["FRAUD_VELOCITY_1H": "many"], FraudPolicyError.notInteger("FRAUD_VELOCITY_1H", got: "many"),
                "configuration FRAUD_VELOCITY_1H must be an integer, got \"many\""
            ),
        ] as [([String: String], FraudPolicyError, String)])
    func refuses(settings: [String: String], expected: FraudPolicyError, message: String) {
        #expect(throws: expected) { _ = try FraudPolicy(settings: settings, model: Self.model) }
        let mapped = FunctionError(wrapping: expected)
        #expect(mapped.code == .internal && mapped.code.httpStatus == 500)
        #expect(mapped.message == message && expected.description == message)
    }

    @Test("a store that is down is a 503 naming it, with no wrapper in the handler")
    func redisDown() async throws {
        let redis = try RedisClient(url: "redis://127.0.0.1:1", maximumConnections: 1, service: "the fraud store")
        let handler = FraudHandler(
            store: RedisFraudStore(redis: redis), scorer: FraudScorer(model: Self.model, policy: FraudPolicy()))
        do {
            _ = try await handler.handle(FraudHandlerTests.transaction("t_down"), context: FraudHandlerTests.context())
            Issue.record("scored without a store")
        } catch {
            let mapped = FunctionError(wrapping: error)
            #expect(mapped.code == .unavailable && mapped.code.httpStatus == 503)
            #expect(
                mapped.message.hasPrefix("the fraud store is unavailable: redis connection_failed"), "\(mapped.message)"
            )
        }
    }
}
