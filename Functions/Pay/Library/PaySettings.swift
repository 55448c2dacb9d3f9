import FunctionKit

/// Settings of the pay function that are not a seam.
public struct PaySettings: Sendable {
    /// The fee of a merchant without a profile.
    public var defaultFeeBasisPoints: Int64 = 290
    public var defaultFeeFixed: Int64 = 30
    public var defaultHighRisk: MerchantProfile.HighRiskPolicy = .decline
    /// The country routing assumes when neither the request nor the merchant names one.
    public var defaultCountry = "US"
    /// How long a retry waits for the first request with its idempotency key before answering 409.
    public var idempotencyWait: Duration = .seconds(8)

    public init() {}

    public init(configuration: FunctionConfiguration) throws(FunctionError) {
        defaultFeeBasisPoints = Int64(try configuration.integer("PAY_FEE_BPS", default: 290))
        defaultFeeFixed = Int64(try configuration.integer("PAY_FEE_FIXED", default: 30))
        guard defaultFeeBasisPoints >= 0, defaultFeeBasisPoints <= 10_000, defaultFeeFixed >= 0 else {
            throw FunctionError(.invalidRequest, "PAY_FEE_BPS must be 0–10000 and PAY_FEE_FIXED not negative")
        }
        if let policy = configuration.string("PAY_HIGH_RISK") {
            guard let parsed = MerchantProfile.HighRiskPolicy(rawValue: policy) else {
                throw FunctionError(.invalidRequest, "PAY_HIGH_RISK: expected decline or review, got \(policy)")
            }
            defaultHighRisk = parsed
        }
        if let country = configuration.string("PAY_DEFAULT_COUNTRY") { defaultCountry = country }
        idempotencyWait = .milliseconds(try configuration.integer("PAY_IDEMPOTENCY_WAIT_MS", default: 8000))
    }
}
