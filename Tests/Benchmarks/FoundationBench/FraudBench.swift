import FraudFunction
import FunctionKit
import Logging
import SmartPayCore
import SmartPayIO
import SmartPayRedis

/// The fraud model alone on one thread: the parity fixture's rows (schema-ordered vectors, 10 % missing) scored
/// round and round, and the feature code on a full history. Prints `name value unit` lines.
func fraudModel(modelPath: String, fixturePath: String, rounds: Int) throws {
    let model = try FraudModel.load(path: modelPath)
    let text = String(decoding: try FileBytes.read(fixturePath), as: UTF8.self)
    var rows: [[Float]] = []
    for line in text.split(separator: "\n").dropFirst() {
        rows.append(
            line.split(separator: ",", omittingEmptySubsequences: false).dropLast().map {
                $0.isEmpty ? Float.nan : Float(String($0)) ?? .nan
            })
    }
    let expected = text.split(separator: "\n").dropFirst().map {
        Double(String($0.split(separator: ",", omittingEmptySubsequences: false).last!)) ?? .nan
    }
    var worst = 0.0
    for (row, probability) in zip(rows, expected) {
        worst = max(worst, abs(model.trees.probability(row) - probability))
    }
    print("fraud_parity_max_abs_difference \(worst) (\(rows.count) rows against xgboost predict_proba)")
    let flat = rows.flatMap { $0 }
    let width = FraudFeature.allCases.count
    var checksum = 0.0
    // Warm-up, then the measured rounds.
    flat.withUnsafeBufferPointer { all in
        for row in 0..<rows.count {
            checksum += model.trees.probability(UnsafeBufferPointer(rebasing: all[(row * width)..<((row + 1) * width)]))
        }
    }
    let start = ContinuousClock.now
    flat.withUnsafeBufferPointer { all in
        for _ in 0..<rounds {
            for row in 0..<rows.count {
                checksum += model.trees.probability(
                    UnsafeBufferPointer(rebasing: all[(row * width)..<((row + 1) * width)]))
            }
        }
    }
    let elapsed = seconds(ContinuousClock.now - start)
    let scored = rounds * rows.count
    print("fraud_model_trees \(model.trees.treeCount) trees")
    print("fraud_model_scores_per_second \(Int((Double(scored) / elapsed).rounded())) scores/s")
    print("fraud_model_us_per_score \(String(format3(elapsed / Double(scored) * 1e6))) us")

    // Reasons cost more: every tree's path is walked again for the contributions.
    let contributionStart = ContinuousClock.now
    for row in rows.prefix(10_000) { checksum += model.trees.contributions(row).bias }
    let contributionElapsed = seconds(ContinuousClock.now - contributionStart)
    print("fraud_contributions_us_per_row \(format3(contributionElapsed / Double(min(rows.count, 10_000)) * 1e6)) us")

    // The feature code on a busy customer (120 transactions in 30 days) and terminal (60 in its windows).
    var history = FeatureHistory()
    let now: Int64 = 1_795_000_000
    for index in 0..<120 {
        history.customerTimes.append(now - Int64(index) * 21_000)
        history.customerAmounts.append(Double(20 + index % 50))
    }
    history.terminalTimes = (0..<60).map { now - 7 * 86_400 - Int64($0) * 40_000 }
    history.terminalFraudTimes = Array(history.terminalTimes.prefix(3))
    history.cardTimes = [now - 30, now]
    let transaction = FeatureTransaction(time: now, amount: 42, ipCountry: "US", cardCountry: "US")
    var vector = [Float](repeating: .nan, count: width)
    let featureStart = ContinuousClock.now
    for _ in 0..<100_000 {
        FeatureExtractor.fill(&vector, transaction: transaction, history: history)
        checksum += Double(vector[0])
    }
    print("fraud_features_us_per_row \(format3(seconds(ContinuousClock.now - featureStart) / 100_000 * 1e6)) us")
    if checksum.isNaN { print("checksum nan") }
}

func format3(_ value: Double) -> String {
    let thousandths = Int((value * 1000).rounded())
    let fraction = String(thousandths % 1000)
    return "\(thousandths / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
}

/// The fraud handler in process against a real Redis, one call at a time: the function's own share of a request
/// (two Redis round trips, the features, the model, the reasons), without the gateway and Runtime API around it.
func fraudHandler(modelPath: String, redisURL: String, count: Int) async throws {
    let model = try FraudModel.load(path: modelPath)
    let store = RedisFraudStore(redis: try RedisClient(url: redisURL, maximumConnections: 2))
    let handler = FraudHandler(store: store, scorer: FraudScorer(model: model, policy: FraudPolicy()))
    let context = InvocationContext(
        requestID: "bench", deadline: .now + .seconds(60),
        logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }), functionName: "fraud",
        configuration: FunctionConfiguration([:]))
    var latencies: [Double] = []
    latencies.reserveCapacity(count)
    let run = Int.random(in: 0..<1_000_000)
    for index in 0..<count {
        let customer = (index * 7919) % 2000
        let event = try JSONParser().parse(
            """
            {"transaction_id": "hb-\(run)-\(index)", "amount": \(500 + index * 37 % 20000), "currency": "USD",
             "customer_id": "cus_\(customer)", "terminal_id": "term_\((customer * 13 + index) % 500)",
             "card_fingerprint": "fp_\(customer)", "ip": "10.0.\(customer % 250).\(index % 250)"}
            """)
        let start = ContinuousClock.now
        _ = try await handler.handle(event, context: context)
        latencies.append(seconds(ContinuousClock.now - start) * 1000)
    }
    latencies.sort()
    print("fraud_handler_p50 \(format3(latencies[count / 2])) ms")
    print("fraud_handler_p99 \(format3(latencies[count * 99 / 100])) ms")
}
