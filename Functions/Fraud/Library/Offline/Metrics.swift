/// The handbook's three measures of a fraud detector (chapter 4, "Performance metrics").
public enum FraudMetrics {
    /// The area under the ROC curve: the probability that a random fraud scores above a random genuine
    /// transaction, ties counting half (the Mann–Whitney statistic, as scikit-learn's `roc_auc_score`).
    /// - Returns: nil when one class is absent.
    public static func rocAUC(scores: [Double], labels: [Bool]) -> Double? {
        let order = scores.indices.sorted { scores[$0] < scores[$1] }
        let positives = labels.lazy.filter { $0 }.count
        let negatives = labels.count - positives
        guard positives > 0, negatives > 0 else { return nil }
        // Average ranks over ties.
        var rankSumPositives = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            let averageRank = Double(start + end) / 2 + 1
            for position in start...end where labels[order[position]] { rankSumPositives += averageRank }
            start = end + 1
        }
        let p = Double(positives)
        return (rankSumPositives - p * (p + 1) / 2) / (p * Double(negatives))
    }

    /// Average precision, Σ (Rₙ − Rₙ₋₁) Pₙ over the distinct score thresholds from the highest down (scikit-learn's
    /// `average_precision_score`, which the handbook uses).
    /// - Returns: nil when there is no positive.
    public static func averagePrecision(scores: [Double], labels: [Bool]) -> Double? {
        let positives = labels.lazy.filter { $0 }.count
        guard positives > 0 else { return nil }
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var truePositives = 0
        var seen = 0
        var previousRecall = 0.0
        var result = 0.0
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, scores[order[end + 1]] == scores[order[start]] { end += 1 }
            for position in start...end where labels[order[position]] { truePositives += 1 }
            seen = end + 1
            let recall = Double(truePositives) / Double(positives)
            let precision = Double(truePositives) / Double(seen)
            result += (recall - previousRecall) * precision
            previousRecall = recall
            start = end + 1
        }
        return result
    }

    /// Card Precision top-k: each day, every card's highest score ranks the cards; the share of the top `k` that
    /// had a fraud that day is the day's precision, and the result is the mean over the days. Cards found
    /// compromised in an earlier day's top k are left out of later days, as an investigator would have blocked
    /// them (the handbook's `card_precision_top_k`).
    /// - Parameters:
    ///   - days: each row's day number; `cards`: each row's card (the customer in the handbook's data).
    public static func cardPrecisionAtK(
        scores: [Double], labels: [Bool], cards: [Int32], days: [Int64], k: Int
    ) -> Double? {
        let distinctDays = Set(days).sorted()
        guard !distinctDays.isEmpty, k > 0 else { return nil }
        var detected = Set<Int32>()
        var total = 0.0
        for day in distinctDays {
            var best: [Int32: (score: Double, fraud: Bool)] = [:]
            for row in days.indices where days[row] == day && !detected.contains(cards[row]) {
                let current = best[cards[row]]
                best[cards[row]] = (
                    max(current?.score ?? -.infinity, scores[row]), (current?.fraud ?? false) || labels[row]
                )
            }
            // Highest score first; a tie goes to the lower card id, so the result does not depend on hashing.
            let ranked = best.sorted {
                $0.value.score != $1.value.score ? $0.value.score > $1.value.score : $0.key < $1.key
            }
            let top = ranked.prefix(k)
            let hits = top.filter { $0.value.fraud }
            total += Double(hits.count) / Double(k)
            detected.formUnion(hits.map(\.key))
        }
        return total / Double(distinctDays.count)
    }
}
