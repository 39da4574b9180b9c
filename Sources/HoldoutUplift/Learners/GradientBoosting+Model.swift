import RealModule

extension GradientBoosting {
    /// A fitted boosted-trees model: F(x) = baseline + Σ trees.
    ///
    /// Prediction bins a block of rows once and walks every tree on the bins, sixteen rows to a
    /// SIMD vector for trees of depth ≤ 7 (``CompiledForest``), blocks in parallel.
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
            guard bins.featureCount == featureNames.count else {
                throw LearnerError(.invalidInput, "\(bins.featureCount) bin-edge lists for \(featureNames.count) features", field: "bin_edges")
            }
            guard baseline.isFinite else { throw LearnerError(.invalidInput, "the baseline is not finite", field: "baseline") }
            forest = try CompiledForest(trees: trees, bins: bins)
        }

        /// Raw predictions F(x): log-odds for log-loss, the mean for squared error.
        ///
        /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
        public func rawPredictions(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            try rawPredictions(features, threads: settings.threads)
        }

        /// Raw predictions on `threads` threads (the scores do not depend on it).
        ///
        /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
        public func rawPredictions(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            return forest.predict(features, baseline: baseline, threads: threads)
        }

        /// σ(F(x)) for a log-loss model.
        ///
        /// - Throws: ``LearnerError`` for a squared-error model or mismatched features.
        public func probabilities(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            try probabilities(features, threads: settings.threads)
        }

        public func probabilities(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            guard loss == .logLoss else { throw LearnerError(.invalidInput, "a squared-error model gives no probabilities", field: "loss") }
            try features.requireFeatures(featureNames)
            return forest.predict(features, baseline: baseline, threads: threads, link: Self.logistic)
        }

        /// F(x) for a squared-error model, σ(F(x)) for a log-loss model.
        ///
        /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
        public func predictions(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
            try predictions(features, threads: settings.threads)
        }

        public func predictions(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            loss == .logLoss ? try probabilities(features, threads: threads) : try rawPredictions(features, threads: threads)
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

extension GradientBoosting.Model {
    /// σ(F) = 1 / (1 + e^−F), applied by each scoring thread to its rows.
    @Sendable static func logistic(_ raw: Double) -> Double { 1 / (1 + Double.exp(-raw)) }

    /// For a log-loss model whose last feature is `treatment` after `features`' columns:
    /// σ(F(x, 1)) − σ(F(x, 0)), the rows binned once and a tree that never splits on the
    /// treatment walked once for both arms (``CompiledForest/predictPair(_:lastFeature:_:baseline:threads:combine:)``);
    /// nil when the model is not of that shape or its trees are too deep for the lane layout.
    func treatedMinusControlProbability(_ features: FeatureMatrix, threads: Int) -> [Double]? {
        guard loss == .logLoss, forest.layout == .lanes, featureNames.count == features.featureCount + 1,
            featureNames.last == "treatment", zip(featureNames, features.names).allSatisfy({ $0.utf8.elementsEqual($1.utf8) })
        else { return nil }
        return forest.predictPair(features, lastFeature: 1, 0, baseline: baseline, threads: threads) { Self.logistic($0) - Self.logistic($1) }
    }

    /// combine(F_a(x), F_b(x)) for two models on the same features, in one pass over the rows
    /// (``CompiledForest/combine(_:baseline:_:baseline:_:threads:_:)``).
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from either model's.
    static func combined(
        _ a: Self, _ b: Self, _ features: FeatureMatrix, threads: Int, _ combine: @Sendable (Double, Double) -> Double
    ) throws(LearnerError) -> [Double] {
        try features.requireFeatures(a.featureNames)
        try features.requireFeatures(b.featureNames)
        return CompiledForest.combine(a.forest, baseline: a.baseline, b.forest, baseline: b.baseline, features, threads: threads, combine)
    }

    /// F(x) by walking each ``GradientBoosting/Tree`` row by row on the raw values: the
    /// definition the fast scorer (``CompiledForest``) must reproduce bit for bit.
    func referenceRawPredictions(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
        try features.requireFeatures(featureNames)
        let n = features.rowCount
        return (0..<n).map { i in
            var sum = baseline
            for tree in trees {
                var k = 0
                while tree.left[k] >= 0 {
                    k = features.values[tree.feature[k] * n + i] <= tree.threshold[k] ? tree.left[k] : tree.left[k] + 1
                }
                sum += tree.value[k]
            }
            return sum
        }
    }
}
