import RealModule

extension GradientBoosting {
    /// A fitted boosted-trees model: F(x) = baseline + Σ trees.
    ///
    /// Prediction walks every tree branch-free for a block of rows at a time (a leaf points at
    /// itself, so each tree takes exactly its depth in steps), blocks in parallel.
    public struct Model: ProbabilityModel, RegressionModel, Hashable {
        public let loss: Loss
        public let settings: Settings
        public let featureNames: [String]
        /// Bin edges found at fit time; each tree's `threshold` is one of them.
        public let bins: FeatureBins
        /// F₀, the raw prediction before any tree.
        public let baseline: Double
        public let trees: [Tree]
        /// Validation loss after each round, when early stopping was on.
        public let validationLosses: [Double]?
        let forest: CompiledForest

        init(
            loss: Loss, settings: Settings, featureNames: [String], bins: FeatureBins, baseline: Double, trees: [Tree],
            validationLosses: [Double]?
        ) throws(LearnerError) {
            self.loss = loss
            self.settings = settings
            self.featureNames = featureNames
            self.bins = bins
            self.baseline = baseline
            self.trees = trees
            self.validationLosses = validationLosses
            forest = try CompiledForest(trees: trees, featureCount: featureNames.count)
        }

        /// Raw predictions F(x): log-odds for log-loss, the mean for squared error.
        ///
        /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
        public func rawPredictions(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            return forest.predict(features, baseline: baseline, threads: settings.threads)
        }

        /// σ(F(x)) for a log-loss model.
        ///
        /// - Throws: ``LearnerError`` for a squared-error model or mismatched features.
        public func probabilities(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            guard loss == .logLoss else { throw LearnerError(.invalidInput, "a squared-error model gives no probabilities", field: "loss") }
            return try rawPredictions(features).map { 1 / (1 + Double.exp(-$0)) }
        }

        /// F(x) for a squared-error model, σ(F(x)) for a log-loss model.
        ///
        /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
        public func predictions(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            loss == .logLoss ? try probabilities(features) : try rawPredictions(features)
        }

        enum CodingKeys: String, CodingKey {
            case loss
            case settings
            case featureNames = "feature_names"
            case bins = "bin_edges"
            case baseline
            case trees
            case validationLosses = "validation_losses"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            try self.init(
                loss: c.decode(Loss.self, forKey: .loss), settings: c.decode(Settings.self, forKey: .settings),
                featureNames: c.decode([String].self, forKey: .featureNames), bins: c.decode(FeatureBins.self, forKey: .bins),
                baseline: c.decode(Double.self, forKey: .baseline), trees: c.decode([Tree].self, forKey: .trees),
                validationLosses: c.decodeIfPresent([Double].self, forKey: .validationLosses))
            guard bins.featureCount == featureNames.count else {
                throw LearnerError(.invalidInput, "\(bins.featureCount) bin-edge lists for \(featureNames.count) features", field: "bin_edges")
            }
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(loss, forKey: .loss)
            try c.encode(settings, forKey: .settings)
            try c.encode(featureNames, forKey: .featureNames)
            try c.encode(bins, forKey: .bins)
            try c.encode(baseline, forKey: .baseline)
            try c.encode(trees, forKey: .trees)
            try c.encodeIfPresent(validationLosses, forKey: .validationLosses)
        }

        public static func == (a: Self, b: Self) -> Bool {
            a.loss == b.loss && a.settings == b.settings && a.featureNames == b.featureNames && a.bins == b.bins && a.baseline == b.baseline
                && a.trees == b.trees && a.validationLosses == b.validationLosses
        }

        public func hash(into hasher: inout Hasher) {
            hasher.combine(featureNames)
            hasher.combine(trees)
        }
    }
}

/// Every tree of a model as one array of packed nodes laid out for branch-free traversal:
/// node k goes to `child + (x[feature] > threshold)`, and a leaf is its own child with
/// threshold +∞ (its `value` is the leaf value).
struct CompiledForest: Sendable {
    struct Node {
        var threshold: Double
        var feature: Int32
        var child: Int32
    }
    let nodes: [Node]
    let value: [Double]
    let roots: [Int32]
    let depths: [Int32]

    init(trees: [GradientBoosting.Tree], featureCount: Int) throws(LearnerError) {
        var nodes = [Node]()
        var value = [Double]()
        var roots = [Int32]()
        var depths = [Int32]()
        for (t, tree) in trees.enumerated() {
            let n = tree.feature.count
            guard n > 0, tree.bin.count == n, tree.threshold.count == n, tree.left.count == n, tree.value.count == n else {
                throw LearnerError(.invalidInput, "tree \(t) has arrays of different lengths", field: "trees")
            }
            let base = Int32(nodes.count)
            roots.append(base)
            var depth = [Int](repeating: 0, count: n)
            for k in 0..<n {
                if tree.left[k] < 0 {
                    nodes.append(Node(threshold: .infinity, feature: 0, child: base + Int32(k)))
                } else {
                    guard tree.left[k] > k, tree.left[k] + 1 < n, (0..<featureCount).contains(tree.feature[k]), tree.threshold[k].isFinite else {
                        throw LearnerError(.invalidInput, "tree \(t) node \(k) has a bad child, feature or threshold", field: "trees")
                    }
                    nodes.append(Node(threshold: tree.threshold[k], feature: Int32(tree.feature[k]), child: base + Int32(tree.left[k])))
                    depth[tree.left[k]] = depth[k] + 1
                    depth[tree.left[k] + 1] = depth[k] + 1
                }
                value.append(tree.left[k] < 0 ? tree.value[k] : 0)
            }
            depths.append(Int32(depth.max() ?? 0))
        }
        self.nodes = nodes
        self.value = value
        self.roots = roots
        self.depths = depths
    }

    static let blockSize = 256

    /// baseline + Σ trees for every row, in blocks of rows (transposed to row-major), blocks in parallel.
    func predict(_ x: FeatureMatrix, baseline: Double, threads: Int) -> [Double] {
        let n = x.rowCount
        let f = x.featureCount
        var out = [Double](repeating: baseline, count: n)
        let blocks = (n + Self.blockSize - 1) / Self.blockSize
        out.withUnsafeMutableBufferPointer { out in
            let shared = UncheckedSendable((out, self))
            x.values.withUnsafeBufferPointer { values in
                let chunks = max(1, min(threads, blocks))
                Parallel.forEach(chunks, threads: threads) { c in
                    let (out, forest) = shared.value
                    // Rows padded to 16 values when they fit: lane offsets become constants.
                    let stride = f <= 16 ? 16 : f
                    let rowBlock = UnsafeMutablePointer<Double>.allocate(capacity: Self.blockSize * stride)
                    defer { rowBlock.deallocate() }
                    var block = c * blocks / chunks
                    while block < (c + 1) * blocks / chunks {
                        let start = block * Self.blockSize
                        let m = min(Self.blockSize, n - start)
                        for j in 0..<f {
                            let column = values.baseAddress! + j * n + start
                            for r in 0..<m { rowBlock[r * stride + j] = column[r] }
                        }
                        if stride == 16 {
                            forest.addTrees(rows: rowBlock, count: m, stride: 16, into: out.baseAddress! + start)
                        } else {
                            forest.addTrees(rows: rowBlock, count: m, stride: stride, into: out.baseAddress! + start)
                        }
                        block += 1
                    }
                }
            }
        }
        return out
    }

    @inline(__always)
    private func addTrees(rows: UnsafeMutablePointer<Double>, count m: Int, stride f: Int, into out: UnsafeMutablePointer<Double>) {
        nodes.withUnsafeBufferPointer { nodes in
            value.withUnsafeBufferPointer { value in
                @inline(__always) func step(_ k: Int, _ row: UnsafeMutablePointer<Double>) -> Int {
                    let node = nodes[k]
                    return Int(node.child) + (row[Int(node.feature)] > node.threshold ? 1 : 0)
                }
                for t in roots.indices {
                    let root = Int(roots[t])
                    let depth = Int(depths[t])
                    // Eight rows walk the tree in lockstep: independent chains of loads the CPU overlaps.
                    var r = 0
                    while r + 8 <= m {
                        let x = rows + r * f
                        var (n0, n1, n2, n3, n4, n5, n6, n7) = (root, root, root, root, root, root, root, root)
                        for _ in 0..<depth {
                            n0 = step(n0, x)
                            n1 = step(n1, x + f)
                            n2 = step(n2, x + 2 * f)
                            n3 = step(n3, x + 3 * f)
                            n4 = step(n4, x + 4 * f)
                            n5 = step(n5, x + 5 * f)
                            n6 = step(n6, x + 6 * f)
                            n7 = step(n7, x + 7 * f)
                        }
                        out[r] += value[n0]
                        out[r + 1] += value[n1]
                        out[r + 2] += value[n2]
                        out[r + 3] += value[n3]
                        out[r + 4] += value[n4]
                        out[r + 5] += value[n5]
                        out[r + 6] += value[n6]
                        out[r + 7] += value[n7]
                        r += 8
                    }
                    while r < m {
                        var node = root
                        for _ in 0..<depth { node = step(node, rows + r * f) }
                        out[r] += value[node]
                        r += 1
                    }
                }
            }
        }
    }
}
