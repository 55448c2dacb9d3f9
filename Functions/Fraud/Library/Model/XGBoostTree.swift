import SmartPayCore

/// One tree of an XGBoost JSON model (`gradient_booster.model.trees[i]`): its parallel node arrays, read and checked
/// to be of one length and free of categorical splits.
struct XGBoostTree {
    let index: Int
    let left: [Int]
    let right: [Int]
    let splitIndices: [Int]
    let conditions: [Double]
    let defaultLeft: [Int]
    let hessians: [Double]

    var count: Int { left.count }

    /// - Throws: `ModelError` for a missing or ill-typed array, arrays of different lengths or a categorical split.
    init(_ tree: JSONValue, index: Int) throws(ModelError) {
        self.index = index
        left = try Self.integers("left_children", of: tree, index: index)
        right = try Self.integers("right_children", of: tree, index: index)
        splitIndices = try Self.integers("split_indices", of: tree, index: index)
        conditions = try Self.floats("split_conditions", of: tree, index: index)
        defaultLeft = try Self.integers("default_left", of: tree, index: index)
        hessians = try Self.floats("sum_hessian", of: tree, index: index)
        let count = left.count
        guard count > 0, right.count == count, splitIndices.count == count, conditions.count == count,
            defaultLeft.count == count, hessians.count == count
        else {
            throw ModelError("tree \(index): its node arrays differ in length")
        }
        if tree["split_type"] != nil,
            try Self.integers("split_type", of: tree, index: index).contains(where: { $0 != 0 })
        {
            throw ModelError("tree \(index): categorical splits are not supported")
        }
    }

    /// The tree's nodes, children indexed from its first node, split features as indices into the caller's schema.
    /// - Parameter schemaIndices: the schema index of each model feature.
    /// - Throws: `ModelError` for a child out of range or a split on a feature the model does not name.
    func nodes(schemaIndices: [Int]) throws(ModelError) -> [BoostedTreesModel.Node] {
        var nodes: [BoostedTreesModel.Node] = []
        nodes.reserveCapacity(count)
        for node in 0..<count {
            if left[node] == -1 {
                nodes.append(.init(feature: -1, left: -1, right: -1, value: Float(conditions[node]), defaultLeft: true))
                continue
            }
            guard left[node] > node, left[node] < count, right[node] > node, right[node] < count else {
                throw ModelError("tree \(index): node \(node) has children out of range")
            }
            guard splitIndices[node] >= 0, splitIndices[node] < schemaIndices.count else {
                throw ModelError(
                    "tree \(index): node \(node) splits on feature \(splitIndices[node]), not in the model")
            }
            nodes.append(
                .init(
                    feature: Int32(schemaIndices[splitIndices[node]]), left: Int32(left[node]),
                    right: Int32(right[node]), value: Float(conditions[node]), defaultLeft: defaultLeft[node] != 0))
        }
        return nodes
    }

    /// The cover-weighted mean of the leaves under each node (XGBoost's "node mean values").
    func meanValues() -> [Double] {
        // Children come after their parent, so one backward pass fills the means bottom-up.
        var means = [Double](repeating: 0, count: count)
        for node in stride(from: count - 1, through: 0, by: -1) {
            if left[node] == -1 {
                means[node] = conditions[node]
            } else {
                let (l, r) = (left[node], right[node])
                let cover = hessians[node] > 0 ? hessians[node] : hessians[l] + hessians[r]
                means[node] = cover > 0 ? (means[l] * hessians[l] + means[r] * hessians[r]) / cover : 0
            }
        }
        return means
    }

    private static func array(_ name: String, of tree: JSONValue, index: Int) throws(ModelError) -> [JSONValue] {
        guard case .array(let values)? = tree[name] else {
            throw ModelError("tree \(index): no \(name) array")
        }
        return values
    }

    /// Integers or booleans (XGBoost writes `default_left` as either), booleans as 1 and 0.
    private static func integers(_ name: String, of tree: JSONValue, index: Int) throws(ModelError) -> [Int] {
        var result: [Int] = []
        for value in try array(name, of: tree, index: index) {
            switch value {
            case .number(let text):
                guard let integer = Int(text) else {
                    throw ModelError("tree \(index): \(name) holds \(text), expected integers")
                }
                result.append(integer)
            case .bool(let flag): result.append(flag ? 1 : 0)
            default: throw ModelError("tree \(index): \(name) holds \(value.briefDescription)")
            }
        }
        return result
    }

    private static func floats(_ name: String, of tree: JSONValue, index: Int) throws(ModelError) -> [Double] {
        var result: [Double] = []
        for value in try array(name, of: tree, index: index) {
            guard case .number(let text) = value, let number = Double(text) else {
                throw ModelError("tree \(index): \(name) holds \(value.briefDescription), expected numbers")
            }
            result.append(number)
        }
        return result
    }
}
