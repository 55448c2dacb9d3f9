import SmartPayCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A gradient-boosted tree model for binary classification, read from XGBoost's JSON model format
/// (`Booster.save_model("model.json")`) and evaluated natively: no Python, no service call.
///
/// Evaluation follows XGBoost's CPU predictor: a feature value and a split threshold are compared as `Float`
/// (`x < threshold` goes left), a missing value (NaN) follows the node's `default_left`, and the probability is
/// `sigmoid(Σ leaf values + logit(base_score))`.
///
/// The model's features are named (`learner.feature_names`); at load each name is looked up in the caller's schema,
/// so a split reads its value straight from the schema's feature vector and a model that needs a feature the schema
/// does not have is refused at load, not mis-scored.
public struct BoostedTreesModel: Sendable {
    /// One node, leaves and splits in one array: a split has `feature >= 0`; a leaf has `feature == -1` and its value
    /// in `value`.
    struct Node: Sendable {
        var feature: Int32
        var left: Int32
        var right: Int32
        /// The threshold of a split, or the value of a leaf.
        var value: Float
        var defaultLeft: Bool
    }

    /// The model's feature names, in the order of its training data.
    public let featureNames: [String]
    /// The schema index of each model feature (`featureNames[i]` is `schema[schemaIndices[i]]`).
    public let schemaIndices: [Int]
    /// How many values a feature vector passed to `probability(_:)` has (the schema's size).
    public let schemaSize: Int
    /// `logit(base_score)`: the margin before any tree.
    public let baseMargin: Double
    public var treeCount: Int { roots.count }
    /// The booster's attributes (`Booster.set_attr`), as saved in `learner.attributes`.
    public let attributes: [String: String]

    let nodes: [Node]
    let roots: [Int32]
    /// The cover-weighted mean of the leaves under each node (XGBoost's "node mean values"), for contributions.
    let meanValues: [Double]
    /// The same trees padded to complete binary trees of one depth, for branch-free scoring; nil when the deepest
    /// tree is too deep for that to pay.
    let complete: CompleteTrees?

    /// Reads a model file's JSON.
    /// - Parameters:
    ///   - json: the bytes of an XGBoost JSON model.
    ///   - schema: the feature names the caller's vectors hold, in order.
    /// - Throws: `ModelError` naming what is wrong: not JSON, not a binary:logistic gbtree model, a categorical split,
    ///   a feature the schema lacks, inconsistent tree arrays.
    public init(json: some Collection<UInt8>, schema: [String]) throws(ModelError) {
        let learner = try Self.learner(in: json)
        let model = try Self.treeModel(of: learner)
        let (featureNames, schemaIndices) = try Self.features(of: learner, in: schema)
        let baseScore = try Self.baseScore(of: learner)
        let (nodes, roots, meanValues) = try Self.trees(of: model, schemaIndices: schemaIndices)
        self.attributes = Self.attributes(of: learner)
        self.featureNames = featureNames
        self.schemaIndices = schemaIndices
        self.schemaSize = schema.count
        self.baseMargin = log(baseScore / (1 - baseScore))
        self.nodes = nodes
        self.roots = roots
        self.meanValues = meanValues
        self.complete = CompleteTrees(nodes: nodes, roots: roots)
    }

    /// The probability of the positive class for one schema-ordered feature vector (NaN = missing).
    public func probability(_ features: UnsafeBufferPointer<Float>) -> Double {
        sigmoid(margin(features))
    }

    public func probability(_ features: [Float]) -> Double {
        features.withUnsafeBufferPointer { probability($0) }
    }

    /// Σ leaf values + the base margin, before the sigmoid.
    public func margin(_ features: UnsafeBufferPointer<Float>) -> Double {
        precondition(features.count >= schemaSize, "a feature vector has \(schemaSize) values")
        if let complete { return complete.sum(features) + baseMargin }
        return linkedMargin(features)
    }

    /// The margin walking the trees node by node (the reference the complete layout is tested against).
    func linkedMargin(_ features: UnsafeBufferPointer<Float>) -> Double {
        nodes.withUnsafeBufferPointer { nodes in
            var sum = 0.0
            for root in roots {
                var index = Int(root)
                while true {
                    let node = nodes[index]
                    if node.feature < 0 { break }
                    let x = features[Int(node.feature)]
                    let goLeft = x.isNaN ? node.defaultLeft : x < node.value
                    index = Int(goLeft ? node.left : node.right)
                }
                sum += Double(nodes[index].value)
            }
            return sum + baseMargin
        }
    }

    /// Each schema feature's contribution to the margin along the decision paths (Saabas; XGBoost's
    /// `pred_contribs=True, approx_contribs=True`), and the bias (base margin plus the trees' root means).
    /// The contributions and the bias add up to the margin.
    public func contributions(_ features: [Float]) -> (bias: Double, perFeature: [Double]) {
        precondition(features.count >= schemaSize, "a feature vector has \(schemaSize) values")
        var perFeature = [Double](repeating: 0, count: schemaSize)
        var bias = baseMargin
        for root in roots {
            var index = Int(root)
            bias += meanValues[index]
            while nodes[index].feature >= 0 {
                let node = nodes[index]
                let x = features[Int(node.feature)]
                let next = Int((x.isNaN ? node.defaultLeft : x < node.value) ? node.left : node.right)
                perFeature[Int(node.feature)] += meanValues[next] - meanValues[index]
                index = next
            }
        }
        return (bias, perFeature)
    }
}

/// Trees padded to complete binary trees of one depth D: tree t's split i (breadth-first, 0 ..< 2^D − 1) has its
/// children at 2i + 1 and 2i + 2, and leaf j at j. A leaf above depth D becomes a subtree whose leaves all hold its
/// value. Walking a tree is then D steps of compare-and-index with no data-dependent branch, which is what makes
/// scoring fast: a pointer walk spends most of its time on mispredicted branches.
struct CompleteTrees: Sendable {
    /// One split, packed so that a step reads one 12-byte record.
    struct Split: Sendable {
        var feature: Int32
        var threshold: Float
        /// Where a missing value goes right.
        var missingRight: Bool
    }

    let depth: Int
    let splits: [Split]
    let leaves: [Float]

    /// Deeper than this, padding costs more memory than the branches cost time.
    static let maximumDepth = 8

    init?(nodes: [BoostedTreesModel.Node], roots: [Int32]) {
        func depth(of index: Int) -> Int {
            let node = nodes[index]
            return node.feature < 0 ? 0 : 1 + max(depth(of: Int(node.left)), depth(of: Int(node.right)))
        }
        let depth = roots.map { depth(of: Int($0)) }.max() ?? 0
        guard depth >= 1, depth <= Self.maximumDepth else { return nil }
        let splitsPerTree = (1 << depth) - 1
        let leavesPerTree = 1 << depth
        var splits = [Split](
            repeating: Split(feature: 0, threshold: 0, missingRight: false), count: roots.count * splitsPerTree)
        var leaves = [Float](repeating: 0, count: roots.count * leavesPerTree)
        for (tree, root) in roots.enumerated() {
            // (node, position in the complete layout, level)
            var stack = [(Int(root), 0, 0)]
            while let (index, position, level) = stack.popLast() {
                let node = nodes[index]
                if node.feature < 0 {
                    // A leaf at `level`: every complete leaf under `position` takes its value.
                    let first = (position - ((1 << level) - 1)) << (depth - level)
                    for leaf in first..<(first + (1 << (depth - level))) {
                        leaves[tree * leavesPerTree + leaf] = node.value
                    }
                    continue
                }
                splits[tree * splitsPerTree + position] = Split(
                    feature: node.feature, threshold: node.value, missingRight: !node.defaultLeft)
                stack.append((Int(node.left), 2 * position + 1, level + 1))
                stack.append((Int(node.right), 2 * position + 2, level + 1))
            }
        }
        self.depth = depth
        self.splits = splits
        self.leaves = leaves
    }

    func sum(_ x: UnsafeBufferPointer<Float>) -> Double {
        let splitsPerTree = (1 << depth) - 1
        let leavesPerTree = 1 << depth
        let trees = leaves.count / leavesPerTree
        return splits.withUnsafeBufferPointer { splits in
            leaves.withUnsafeBufferPointer { leaves in
                @inline(__always)
                func step(_ position: Int, _ splitBase: Int) -> Int {
                    let split = splits[splitBase + position]
                    let value = x[Int(split.feature)]
                    // NaN compares false both ways: !(x < t) sends it right, x ≥ t left, so one select
                    // between the two comparisons is the whole of missing-value handling.
                    let right = split.missingRight ? !(value < split.threshold) : value >= split.threshold
                    return 2 * position + 1 + (right ? 1 : 0)
                }
                var total = 0.0
                var tree = 0
                // Four trees at a time: their walks are independent, so the CPU overlaps their loads
                // instead of waiting on one chain of dependent loads.
                while tree + 4 <= trees {
                    var (a, b, c, d) = (0, 0, 0, 0)
                    let base = tree * splitsPerTree
                    for _ in 0..<depth {
                        a = step(a, base)
                        b = step(b, base + splitsPerTree)
                        c = step(c, base + 2 * splitsPerTree)
                        d = step(d, base + 3 * splitsPerTree)
                    }
                    let leafBase = tree * leavesPerTree - splitsPerTree
                    total +=
                        Double(leaves[leafBase + a]) + Double(leaves[leafBase + leavesPerTree + b])
                        + Double(leaves[leafBase + 2 * leavesPerTree + c])
                        + Double(leaves[leafBase + 3 * leavesPerTree + d])
                    tree += 4
                }
                while tree < trees {
                    var position = 0
                    for _ in 0..<depth { position = step(position, tree * splitsPerTree) }
                    total += Double(leaves[tree * leavesPerTree + position - splitsPerTree])
                    tree += 1
                }
                return total
            }
        }
    }
}

/// Why a model file was refused.
public struct ModelError: Error, Sendable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

@inline(__always)
func sigmoid(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
