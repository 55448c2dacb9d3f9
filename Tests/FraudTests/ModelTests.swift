import Foundation
import FraudFunction
import SmartPayCore
import TestSupport
import Testing

@Suite("the XGBoost JSON evaluator")
struct ModelTests {
    static func committedModel() throws -> FraudModel {
        try FraudModel.load(
            path: Executables.repositoryRoot.appendingPathComponent("Functions/Fraud/model/fraud-model.json").path)
    }

    @Test("agrees with xgboost's predict_proba within 1e-5 on the 10,000-row parity fixture, missing values included")
    func parity() throws {
        let model = try Self.committedModel()
        let text = try String(
            contentsOf: Executables.repositoryRoot.appendingPathComponent("Tests/Fixtures/fraud-parity.csv"),
            encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        #expect(Array(header.dropLast()) == FraudFeature.schema, "the fixture's columns are the schema's")
        var worst = 0.0
        var missing = 0
        for line in lines {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false)
            let vector = cells.dropLast().map { $0.isEmpty ? Float.nan : Float(String($0))! }
            missing += vector.filter(\.isNaN).count
            let expected = Double(String(cells.last!))!
            worst = max(worst, abs(model.trees.probability(vector) - expected))
        }
        #expect(lines.count >= 10_000)
        #expect(missing > 10_000, "the fixture exercises default_left")
        #expect(worst <= 1e-5, "max |difference| \(worst)")
    }

    @Test("contributions and the bias add up to the margin")
    func contributions() throws {
        let model = try Self.committedModel()
        var vector = [Float](repeating: .nan, count: FraudFeature.allCases.count)
        vector[FraudFeature.amount.rawValue] = 240
        vector[FraudFeature.terminalRisk7Days.rawValue] = 0.5
        let (bias, perFeature) = model.trees.contributions(vector)
        let margin = vector.withUnsafeBufferPointer { model.trees.margin($0) }
        #expect(abs(bias + perFeature.reduce(0, +) - margin) < 1e-6)
    }

    /// A one-split model: feature `x` < 0.5 goes left (leaf -1), else right (leaf 2); missing goes right.
    static func tinyModel(
        baseScore: String = "\"5E-1\"", objective: String = "binary:logistic", names: String = "[\"TX_AMOUNT\"]",
        condition: String = "0.5", splitType: String = "[0,0,0]"
    ) -> String {
        """
        {"learner": {"attributes": {}, "feature_names": \(names),
          "learner_model_param": {"base_score": \(baseScore), "num_feature": "1"},
          "objective": {"name": "\(objective)"},
          "gradient_booster": {"name": "gbtree", "model": {"tree_info": [0], "trees": [{
            "left_children": [1, -1, -1], "right_children": [2, -1, -1], "split_indices": [0, 0, 0],
            "split_conditions": [\(condition), -1.0, 2.0], "default_left": [0, 0, 0], "split_type": \(splitType),
            "sum_hessian": [2.0, 1.0, 1.0], "base_weights": [0.5, -1.0, 2.0]}]}}}}
        """
    }

    @Test("reads both base_score forms and bare Infinity; compares in Float; missing follows default_left")
    func tinyModels() throws {
        let schema = FraudFeature.schema
        for baseScore in ["\"5E-1\"", "\"[5E-1]\""] {
            let model = try BoostedTreesModel(json: Array(Self.tinyModel(baseScore: baseScore).utf8), schema: schema)
            var vector = [Float](repeating: .nan, count: schema.count)
            vector[0] = 0.4
            #expect(abs(model.probability(vector) - 1 / (1 + exp(1.0))) < 1e-12)
            vector[0] = 0.5
            #expect(abs(model.probability(vector) - 1 / (1 + exp(-2.0))) < 1e-12, "x < threshold is strict")
            vector[0] = .nan
            #expect(abs(model.probability(vector) - 1 / (1 + exp(-2.0))) < 1e-12, "missing goes right here")
        }
        // 0.1 is not a Float: a value equal to Float(0.1) must compare as xgboost does, in single precision.
        let single = try BoostedTreesModel(json: Array(Self.tinyModel(condition: "0.1").utf8), schema: schema)
        var vector = [Float](repeating: .nan, count: schema.count)
        vector[0] = Float(0.1)
        #expect(single.probability(vector) > 0.5)
        let infinite = try BoostedTreesModel(json: Array(Self.tinyModel(condition: "Infinity").utf8), schema: schema)
        vector[0] = 1e30
        #expect(infinite.probability(vector) < 0.5)
    }

    @Test("refuses what it cannot evaluate, naming why")
    func refusals() {
        func refusal(_ json: String) -> String {
            do {
                _ = try BoostedTreesModel(json: Array(json.utf8), schema: FraudFeature.schema)
                return "accepted"
            } catch {
                return error.description
            }
        }
        #expect(refusal("not json").contains("not JSON"))
        #expect(refusal(Self.tinyModel(objective: "reg:squarederror")).contains("only binary:logistic"))
        #expect(refusal(Self.tinyModel(names: "[\"SHOE_SIZE\"]")).contains("SHOE_SIZE"))
        #expect(refusal(Self.tinyModel(baseScore: "\"2\"")).contains("base_score"))
        #expect(refusal(Self.tinyModel(splitType: "[1,0,0]")).contains("categorical"))
    }
}
