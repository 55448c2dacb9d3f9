/// The fraud function's verdict class, which settlement follows: `low` settles at once, `medium` is delayed,
/// `high` is refused unless a named person approves it.
public enum RiskTier: String, Sendable, Codable, CaseIterable, Comparable {
    case low
    case medium
    case high

    /// The tier for a probability of fraud, given the two thresholds (score ≥ `high` → high, ≥ `medium` → medium).
    public init(score: Double, medium: Double, high: Double) {
        if score >= high {
            self = .high
        } else if score >= medium {
            self = .medium
        } else {
            self = .low
        }
    }

    public static func < (lhs: RiskTier, rhs: RiskTier) -> Bool {
        let order: [RiskTier] = [.low, .medium, .high]
        return order.firstIndex(of: lhs)! < order.firstIndex(of: rhs)!
    }
}
