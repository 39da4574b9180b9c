import RealModule

// Written by hand for Holdout: no Swift machine-learning library is mirrored for the project.

/// Histogram gradient-boosted regression trees for binary log-loss and squared error.
///
/// Friedman's gradient boosting with second-order (Newton) leaf values: starting from a
/// constant F₀ (the log-odds of the weighted mean label, or the weighted mean target), each
/// round m computes per row the gradient gᵢ and hessian hᵢ of the loss at F_{m−1}(xᵢ)
///
///     log-loss:      p = σ(F), g = w(p − y), h = w·p(1 − p)
///     squared error: g = w(F − y),         h = w
///
/// grows one tree on (g, h), and adds it: F_m = F_{m−1} + tree. A leaf holding rows L gets
/// value −η·G_L/(H_L + λ) (η the learning rate, λ the L2 penalty, G and H sums over L). A
/// split of node P into L and R is scored by the decrease of the second-order loss,
///
///     gain = G_L²/(H_L + λ) + G_R²/(H_R + λ) − G_P²/(H_P + λ),
///
/// and is allowed only when both sides keep `minSamplesLeaf` rows and `minHessianToSplit`
/// hessian, and gain > 0. Trees grow best-first (the splittable leaf of largest gain is split
/// next) until `maxLeafNodes` leaves, with leaves at depth `maxDepth` left unsplit.
///
/// The histogram method (LightGBM; scikit-learn's `HistGradientBoosting*`, which this follows
/// closely, including its defaults for binning and split finding): features are binned once
/// into at most 255 quantile bins stored as bytes (``FeatureBins``), so a node's split search
/// reads a histogram of per-bin (G, H, count) instead of sorted values. Of two siblings only
/// the smaller one's histogram is built from its rows; the larger one's is the parent's minus
/// it (the subtraction trick). Histograms are built per feature in parallel, each feature's
/// from its rows in a fixed order, so a fit is bit-identical for any thread count.
///
/// Optional early stopping holds out a seeded validation split and stops when the validation
/// loss has not improved by `tolerance` for `patience` rounds, keeping the best round's trees.
///
/// Degenerate cases: a constant feature is never split on; when no split has positive gain a
/// tree is a single leaf; labels all 0 or all 1 give a clamped baseline (p within 1e-15 of 0
/// or 1) and gradients that shrink towards zero.
///
/// Complexity: binning O(F·n log n) on the subsample; each round O(n·F) for the histograms of
/// the root and about half of that per further level, plus O(F·bins) per node for splits.
///
/// References: J. H. Friedman, *Greedy Function Approximation: A Gradient Boosting Machine*
/// (Annals of Statistics 2001); T. Chen & C. Guestrin, *XGBoost* (KDD 2016) for the
/// second-order gain; G. Ke et al., *LightGBM* (NeurIPS 2017) for histograms and best-first growth.
public enum GradientBoosting {
    /// The loss a model minimizes.
    public enum Loss: String, Sendable, Hashable, Codable {
        /// Binary log-loss (logistic link); predictions are log-odds, probabilities σ(F).
        case logLoss = "log_loss"
        /// Squared error; predictions are the fitted mean.
        case squaredError = "squared_error"
    }

    /// Early stopping on a held-out validation split.
    public struct EarlyStopping: Sendable, Hashable, Codable {
        /// Share of the rows held out, in (0, 1).
        public var validationFraction: Double
        /// Rounds without improvement before stopping.
        public var patience: Int
        /// The improvement of the validation loss that counts.
        public var tolerance: Double

        public init(validationFraction: Double = 0.1, patience: Int = 10, tolerance: Double = 1e-7) {
            self.validationFraction = validationFraction
            self.patience = patience
            self.tolerance = tolerance
        }

        enum CodingKeys: String, CodingKey {
            case validationFraction = "validation_fraction"
            case patience
            case tolerance
        }
    }

    /// The settings of a fit (scikit-learn's names in parentheses).
    public struct Settings: Sendable, Hashable, Codable {
        /// Number of boosting rounds (`max_iter`).
        public var iterations: Int
        /// Shrinkage η applied to every leaf (`learning_rate`).
        public var learningRate: Double
        /// Deepest leaf, the root at depth 0; nil for no limit (`max_depth`).
        public var maxDepth: Int?
        /// Most leaves per tree; nil for no limit (`max_leaf_nodes`, default 31).
        public var maxLeafNodes: Int?
        /// Fewest rows in a leaf (`min_samples_leaf`).
        public var minSamplesLeaf: Int
        /// L2 penalty λ on leaf values (`l2_regularization`).
        public var l2: Double
        /// Bins per feature, 2…255 (`max_bins`).
        public var maxBins: Int
        /// Least hessian sum in a child (scikit-learn's fixed 1e-3).
        public var minHessianToSplit: Double
        /// Rows sampled to find the bin edges (scikit-learn's 200,000).
        public var binSubsample: Int
        /// Early stopping, or nil to run every round.
        public var earlyStopping: EarlyStopping?
        /// Seeds the binning subsample and the validation split.
        public var seed: UInt64
        /// Threads used to fit and predict; results do not depend on it.
        public var threads: Int

        public init(
            iterations: Int = 100, learningRate: Double = 0.1, maxDepth: Int? = 6, maxLeafNodes: Int? = 31, minSamplesLeaf: Int = 20,
            l2: Double = 0, maxBins: Int = 255, minHessianToSplit: Double = 1e-3, binSubsample: Int = 200_000,
            earlyStopping: EarlyStopping? = nil, seed: UInt64 = 0, threads: Int = 1
        ) {
            self.iterations = iterations
            self.learningRate = learningRate
            self.maxDepth = maxDepth
            self.maxLeafNodes = maxLeafNodes
            self.minSamplesLeaf = minSamplesLeaf
            self.l2 = l2
            self.maxBins = maxBins
            self.minHessianToSplit = minHessianToSplit
            self.binSubsample = binSubsample
            self.earlyStopping = earlyStopping
            self.seed = seed
            self.threads = threads
        }

        func validate() throws(LearnerError) {
            func bad(_ field: String, _ message: String) -> LearnerError { LearnerError(.invalidInput, "\(field) \(message)", field: field) }
            guard iterations >= 1 else { throw bad("iterations", "must be at least 1") }
            guard learningRate > 0, learningRate.isFinite else { throw bad("learningRate", "must be positive") }
            if let maxDepth, maxDepth < 1 { throw bad("maxDepth", "must be at least 1") }
            if let maxLeafNodes, maxLeafNodes < 2 { throw bad("maxLeafNodes", "must be at least 2") }
            guard minSamplesLeaf >= 1 else { throw bad("minSamplesLeaf", "must be at least 1") }
            guard l2 >= 0, l2.isFinite else { throw bad("l2", "must be finite and non-negative") }
            guard (2...255).contains(maxBins) else { throw bad("maxBins", "must be in 2…255") }
            guard minHessianToSplit >= 0 else { throw bad("minHessianToSplit", "must be non-negative") }
            guard binSubsample >= 2 else { throw bad("binSubsample", "must be at least 2") }
            guard threads >= 1 else { throw bad("threads", "must be at least 1") }
            if let e = earlyStopping {
                guard e.validationFraction > 0, e.validationFraction < 1 else { throw bad("validationFraction", "must be in (0, 1)") }
                guard e.patience >= 1 else { throw bad("patience", "must be at least 1") }
            }
        }

        enum CodingKeys: String, CodingKey {
            case iterations
            case learningRate = "learning_rate"
            case maxDepth = "max_depth"
            case maxLeafNodes = "max_leaf_nodes"
            case minSamplesLeaf = "min_samples_leaf"
            case l2
            case maxBins = "max_bins"
            case minHessianToSplit = "min_hessian_to_split"
            case binSubsample = "bin_subsample"
            case earlyStopping = "early_stopping"
            case seed
            case threads
        }
    }

    /// One regression tree, as flat arrays indexed by node (the root is node 0).
    ///
    /// An inner node sends a row with `x[feature] ≤ threshold` (equivalently bin ≤ `bin`) to
    /// `left`, others to `left + 1`. A leaf has `feature == −1` and `left == −1`; its `value`
    /// (already multiplied by the learning rate) is added to the prediction.
    public struct Tree: Sendable, Hashable, Codable {
        public var feature: [Int]
        public var bin: [Int]
        public var threshold: [Double]
        public var left: [Int]
        public var value: [Double]
    }

    /// Fits a model.
    ///
    /// - Parameters:
    ///   - targets: labels 0/1 for ``Loss/logLoss``, any finite values for ``Loss/squaredError``.
    ///   - weights: optional non-negative row weights.
    /// - Throws: ``LearnerError`` for bad settings, shapes, labels or weights.
    public static func fit(
        _ features: FeatureMatrix, targets: [Double], weights: [Double]? = nil, loss: Loss, settings: Settings = Settings()
    ) throws(LearnerError) -> Model {
        try settings.validate()
        try Check.rows(targets.count, features, "targets")
        try Check.weights(weights, features)
        try Check.finite(targets, "targets")
        if loss == .logLoss, let bad = targets.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw LearnerError(.invalidInput, "log-loss needs labels 0 or 1; row \(bad) has \(targets[bad])", field: "targets")
        }
        var train = (features: features, targets: targets, weights: weights)
        var validation: (features: FeatureMatrix, targets: [Double], weights: [Double]?)? = nil
        if let stopping = settings.earlyStopping {
            let n = features.rowCount
            let held = Int((stopping.validationFraction * Double(n)).rounded())
            guard held >= 1, held < n else {
                throw LearnerError(
                    .invalidInput, "a validation fraction of \(stopping.validationFraction) leaves no rows on one side", field: "validationFraction")
            }
            var rng = SplitMix64(seed: settings.seed ^ 0x5EED)
            var order = Array(0..<n)
            for k in stride(from: n - 1, to: 0, by: -1) { order.swapAt(k, Int(rng.next(below: UInt64(k + 1)))) }
            let v = order[0..<held].sorted()
            let t = order[held...].sorted()
            validation = (features.rows(v), v.map { targets[$0] }, weights.map { w in v.map { w[$0] } })
            train = (features.rows(t), t.map { targets[$0] }, weights.map { w in t.map { w[$0] } })
        }
        let bins = try FeatureBins(
            fitting: train.features, maxBins: settings.maxBins, subsample: settings.binSubsample, seed: settings.seed, threads: settings.threads)
        let booster = Booster(
            bins: bins, features: train.features, targets: train.targets, weights: train.weights, loss: loss, settings: settings)
        defer { booster.deallocate() }
        let validationSet = validation.map { v in
            ValidationSet(binned: bins.binned(v.features, threads: settings.threads), rows: v.features.rowCount, targets: v.targets, weights: v.weights)
        }
        let (trees, losses) = booster.run(validation: validationSet)
        return try Model(
            loss: loss, settings: settings, featureNames: features.names, bins: bins, baseline: booster.baseline,
            trees: trees.map { $0.withThresholds(bins) }, validationLosses: losses)
    }

    /// F₀: the link of the weighted mean.
    static func baseline(_ targets: [Double], _ weights: [Double]?, loss: Loss) -> Double {
        var sum = 0.0
        var total = 0.0
        for i in targets.indices {
            let w = weights?[i] ?? 1
            sum += w * targets[i]
            total += w
        }
        let mean = sum / total
        switch loss {
        case .squaredError: return mean
        case .logLoss:
            let p = min(max(mean, 1e-15), 1 - 1e-15)
            return Double.log(p / (1 - p))
        }
    }

    /// The mean (weighted) loss of raw predictions: log-loss, or squared error.
    static func meanLoss(_ raw: UnsafeBufferPointer<Double>, _ targets: [Double], _ weights: [Double]?, loss: Loss) -> Double {
        var sum = 0.0
        var total = 0.0
        for i in targets.indices {
            let w = weights?[i] ?? 1
            let f = raw[i]
            let y = targets[i]
            switch loss {
            case .squaredError: sum += w * (f - y) * (f - y)
            case .logLoss: sum += w * (Double.log(1 + Double.exp(-abs(f))) + max(f, 0) - y * f)  // log(1 + e^F) − yF, stably
            }
            total += w
        }
        return sum / total
    }
}

/// Validation rows, binned with the training edges.
struct ValidationSet {
    let binned: [UInt8]
    let rows: Int
    let targets: [Double]
    let weights: [Double]?
}

extension GradientBoosting.Tree {
    /// Fills `threshold` from the bin edges.
    func withThresholds(_ bins: FeatureBins) -> Self {
        var t = self
        t.threshold = feature.indices.map { k in feature[k] < 0 ? 0 : bins.edges[feature[k]][bin[k]] }
        return t
    }
}

/// A learner for ``Classifier``: boosted trees on binary log-loss.
public struct BoostedTreesClassifier: Classifier {
    public var settings: GradientBoosting.Settings
    public init(settings: GradientBoosting.Settings = .init()) { self.settings = settings }
    public static var name: String { "boosted_trees_classifier" }
    public var isLinear: Bool { false }
    public func fit(_ features: FeatureMatrix, labels: [Bool], weights: [Double]?) throws(LearnerError) -> GradientBoosting.Model {
        try GradientBoosting.fit(features, targets: labels.map { $0 ? 1 : 0 }, weights: weights, loss: .logLoss, settings: settings)
    }
}

/// A learner for ``Regressor``: boosted trees on squared error.
public struct BoostedTreesRegressor: Regressor {
    public var settings: GradientBoosting.Settings
    public init(settings: GradientBoosting.Settings = .init()) { self.settings = settings }
    public static var name: String { "boosted_trees_regressor" }
    public func fit(_ features: FeatureMatrix, targets: [Double], weights: [Double]?) throws(LearnerError) -> GradientBoosting.Model {
        try GradientBoosting.fit(features, targets: targets, weights: weights, loss: .squaredError, settings: settings)
    }
}
