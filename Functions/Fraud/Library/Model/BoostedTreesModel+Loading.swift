import SmartPayCore

/// Reading the parts of an XGBoost JSON model, each checked with an error that names what is wrong.
extension BoostedTreesModel {
    /// The `learner` object of a model file, its objective checked to be binary:logistic.
    static func learner(in json: some Collection<UInt8>) throws(ModelError) -> JSONValue {
        let document: JSONValue
        do {
            document = try JSONParser(maximumDepth: 16, allowsNonFiniteNumbers: true).parse(json)
        } catch {
            throw ModelError("the model is not JSON (\(error)); save it with save_model(\"….json\")")
        }
        guard let learner = document["learner"] else {
            throw ModelError("no \"learner\" object: not an XGBoost JSON model")
        }
        let objective = learner["objective"]?["name"]?.stringValue ?? "(none)"
        guard objective == "binary:logistic" else {
            throw ModelError("objective \(objective): only binary:logistic models are supported")
        }
        return learner
    }

    /// The gbtree booster's `model` object.
    static func treeModel(of learner: JSONValue) throws(ModelError) -> JSONValue {
        let booster = learner["gradient_booster"]
        guard booster?["name"]?.stringValue == "gbtree", let model = booster?["model"] else {
            throw ModelError(
                "booster \(booster?["name"]?.stringValue ?? "(none)"): only gbtree models are supported")
        }
        return model
    }

    /// The model's feature names and where each stands in `schema`.
    static func features(
        of learner: JSONValue, in schema: [String]
    ) throws(ModelError) -> (names: [String], schemaIndices: [Int]) {
        guard case .array(let names)? = learner["feature_names"], !names.isEmpty else {
            throw ModelError("the model has no feature_names; train it on named features")
        }
        var featureNames: [String] = []
        var schemaIndices: [Int] = []
        for name in names {
            guard let name = name.stringValue else { throw ModelError("feature_names: expected strings") }
            guard let index = schema.firstIndex(of: name) else {
                throw ModelError("the model uses feature \(name), which this version does not compute")
            }
            featureNames.append(name)
            schemaIndices.append(index)
        }
        return (featureNames, schemaIndices)
    }

    /// `learner_model_param.base_score`, a probability.
    static func baseScore(of learner: JSONValue) throws(ModelError) -> Double {
        let baseScoreText = learner["learner_model_param"]?["base_score"]?.stringValue ?? ""
        // XGBoost < 3.1 writes "5E-1"; 3.1 and later a vector, "[1.435E-2]".
        let trimmed = baseScoreText.filter { $0 != "[" && $0 != "]" }
        guard let baseScore = Double(trimmed), baseScore > 0, baseScore < 1 else {
            throw ModelError("learner_model_param.base_score: expected a probability, got \"\(baseScoreText)\"")
        }
        return baseScore
    }

    /// Every tree's nodes in one array (children indexed into it), each tree's root, and the node mean values.
    static func trees(
        of model: JSONValue, schemaIndices: [Int]
    ) throws(ModelError) -> (nodes: [Node], roots: [Int32], meanValues: [Double]) {
        guard case .array(let trees)? = model["trees"], !trees.isEmpty else {
            throw ModelError("the model has no trees")
        }
        if case .array(let info)? = model["tree_info"], info.contains(where: { $0 != .number("0") }) {
            throw ModelError("tree_info names more than one output group: only binary models are supported")
        }
        var nodes: [Node] = []
        var roots: [Int32] = []
        var meanValues: [Double] = []
        for (treeIndex, tree) in trees.enumerated() {
            let offset = nodes.count
            let parsed = try XGBoostTree(tree, index: treeIndex)
            roots.append(Int32(offset))
            for var node in try parsed.nodes(schemaIndices: schemaIndices) {
                if node.feature >= 0 {
                    node.left += Int32(offset)
                    node.right += Int32(offset)
                }
                nodes.append(node)
            }
            meanValues += parsed.meanValues()
        }
        return (nodes, roots, meanValues)
    }

    /// The booster's string attributes (`learner.attributes`).
    static func attributes(of learner: JSONValue) -> [String: String] {
        var attributes: [String: String] = [:]
        for (key, value) in learner["attributes"]?.objectValue ?? [:] {
            if let text = value.stringValue { attributes[key] = text }
        }
        return attributes
    }
}
