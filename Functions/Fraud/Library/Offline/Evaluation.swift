import SmartPayIO

/// The handbook's evaluation protocol (chapter 3.3 and 5): a test period scored by a model trained on the
/// `trainDays` days that end `delayDays` before it; on each test day, the cards known to be compromised by then (a
/// fraud in the training period or up to `delayDays` + 1 days before that test day) are taken out, as they would
/// already be blocked.
public struct Evaluation {
    public struct Result: Sendable {
        public var transactions: Int
        public var frauds: Int
        public var removedCards: Int
        public var auc: Double?
        public var averagePrecision: Double?
        public var cardPrecision: Double?
    }

    public var testFrom: Int64
    public var testTo: Int64
    public var delayDays: Int64 = 7
    public var trainDays: Int64 = 7
    public var topK: Int = 100

    public init(testFrom: Int64, testTo: Int64) {
        self.testFrom = testFrom
        self.testTo = testTo
    }

    /// Scores the test period's transactions and measures the scores.
    /// - Parameter scored: called with each kept row and its score (for a scores file).
    public func run(
        table: TransactionTable, model: BoostedTreesModel, scored: (Int, Double) throws -> Void = { _, _ in }
    ) rethrows -> Result {
        let trainStart = testFrom - delayDays - trainDays
        // The days on which each customer had a fraud, for the known-compromised rule.
        var fraudDays: [Int32: [Int64]] = [:]
        for row in 0..<table.count where table.frauds[row] {
            fraudDays[table.customers[row], default: []].append(table.times[row] / 86_400)
        }
        func knownCompromised(_ customer: Int32, on day: Int64) -> Bool {
            guard let days = fraudDays[customer] else { return false }
            return days.contains { $0 >= trainStart && $0 <= day - delayDays - 1 }
        }
        var scores: [Double] = []
        var labels: [Bool] = []
        var cards: [Int32] = []
        var days: [Int64] = []
        var removed = Set<Int32>()
        try FeatureReplay(table: table).run(until: (testTo + 1) * 86_400) { row, vector in
            let day = table.times[row] / 86_400
            guard day >= testFrom else { return }
            if knownCompromised(table.customers[row], on: day) {
                removed.insert(table.customers[row])
                return
            }
            let score = model.probability(vector)
            scores.append(score)
            labels.append(table.frauds[row])
            cards.append(table.customers[row])
            days.append(day)
            try scored(row, score)
        }
        return Result(
            transactions: scores.count, frauds: labels.lazy.filter { $0 }.count, removedCards: removed.count,
            auc: FraudMetrics.rocAUC(scores: scores, labels: labels),
            averagePrecision: FraudMetrics.averagePrecision(scores: scores, labels: labels),
            cardPrecision: FraudMetrics.cardPrecisionAtK(
                scores: scores, labels: labels, cards: cards, days: days, k: topK))
    }

    /// The handbook's published results on its test week (2018-08-08…14, trained on 2018-07-25…31), as
    /// (AUC ROC, Average Precision, Card Precision@100).
    public static let handbook: [(name: String, auc: Double, ap: Double, cp: Double)] = [
        ("Handbook: logistic regression", 0.871, 0.606, 0.291),
        ("Handbook: random forest", 0.867, 0.658, 0.287),
        ("Handbook: XGBoost", 0.862, 0.639, 0.273),
        ("Handbook: XGBoost, model selection", 0.869, 0.687, 0.303),
    ]
}
