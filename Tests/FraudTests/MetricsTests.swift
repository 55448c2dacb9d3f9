import FraudFunction
import Testing

@Suite("the handbook's metrics")
struct MetricsTests {
    // scikit-learn 1.9.1 on the same data: roc_auc_score 0.8333333333333334, average_precision_score
    // 0.7470238095238095 (ties at 0.8 and 0.5 included).
    let scores = [0.9, 0.8, 0.8, 0.7, 0.6, 0.5, 0.5, 0.4, 0.3, 0.1]
    let labels = [true, false, true, true, false, false, true, false, false, false]

    @Test("AUC ROC and average precision match scikit-learn, ties included")
    func rankingMetrics() {
        #expect(abs(FraudMetrics.rocAUC(scores: scores, labels: labels)! - 0.8333333333333334) < 1e-12)
        #expect(abs(FraudMetrics.averagePrecision(scores: scores, labels: labels)! - 0.7470238095238095) < 1e-12)
        #expect(FraudMetrics.rocAUC(scores: [0.1, 0.2], labels: [false, false]) == nil)
        #expect(FraudMetrics.averagePrecision(scores: [0.1], labels: [false]) == nil)
    }

    @Test("card precision@k ranks cards by their best score each day and drops cards caught on earlier days")
    func cardPrecision() {
        // Day 1: card 1 (fraud, 0.9), card 2 (genuine, 0.8), card 3 (fraud, 0.1) → top 2 = {1, 2}: 1/2.
        // Day 2: card 1 again (fraud, 0.95) is left out as caught; card 3 (fraud, 0.7), card 2 (0.2) → {3, 2}: 1/2.
        let result = FraudMetrics.cardPrecisionAtK(
            scores: [0.9, 0.3, 0.8, 0.1, 0.95, 0.7, 0.2],
            labels: [true, true, false, true, true, true, false],
            cards: [1, 1, 2, 3, 1, 3, 2], days: [1, 1, 1, 1, 2, 2, 2], k: 2)
        #expect(result == 0.5)
    }
}
