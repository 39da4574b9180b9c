/// The S-learner ("single model"): one outcome model with the treatment as a feature.
///
/// Fits μ(x, t) ≈ P(Y = 1 | X = x, T = t) on all rows with the treatment indicator appended as
/// a feature named `treatment`, and predicts τ(x) = μ(x, 1) − μ(x, 0). When the base learner is
/// linear (``Classifier/isLinear``, e.g. ``LogisticRegression``) the columns `treatment×f`
/// (the treatment times each feature) are appended too: without them a linear model's
/// treatment effect on the log-odds would be the same for every row.
///
/// A tree learner may never split on the treatment, and then predicts zero uplift everywhere;
/// the S-learner shrinks effects towards zero, which makes it a conservative ranking baseline.
///
/// Reference: S. R. Künzel, J. S. Sekhon, P. J. Bickel & B. Yu, *Metalearners for estimating
/// heterogeneous treatment effects using machine learning* (PNAS 2019), §2.
public struct SLearner<Base: Classifier>: Sendable, Codable {
    public var base: Base

    public init(base: Base) { self.base = base }

    /// A fitted S-learner.
    public struct Model: UpliftModel {
        public static var learnerName: String { "s_learner(\(Base.name))" }
        public let learner: SLearner<Base>
        public let featureNames: [String]
        /// Whether the treatment × feature columns are part of the design.
        public let hasInteractions: Bool
        /// The outcome model on the features, `treatment` and (with interactions) `treatment×f`.
        public let outcome: Base.Model

        public func uplift(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            if hasInteractions, let linear = outcome as? LogisticRegression.Model, linear.coefficients.count == 2 * featureNames.count + 1 {
                return linear.sLearnerUplift(features)
            }
            if !hasInteractions, let trees = outcome as? GradientBoosting.Model, let uplift = trees.treatedMinusControlProbability(features, threads: threads) {
                return uplift
            }
            let n = features.rowCount
            let treated = try outcome.probabilities(
                SLearner.design(features, treatment: [Double](repeating: 1, count: n), interactions: hasInteractions), threads: threads)
            let control = try outcome.probabilities(
                SLearner.design(features, treatment: [Double](repeating: 0, count: n), interactions: hasInteractions), threads: threads)
            return zip(treated, control).map { $0 - $1 }
        }

        enum CodingKeys: String, CodingKey {
            case learner
            case featureNames = "feature_names"
            case hasInteractions = "has_interactions"
            case outcome
        }
    }

    /// Fits the outcome model.
    ///
    /// - Throws: ``LearnerError`` for a non-binary outcome, a feature named `treatment`, or an
    ///   error of the base learner.
    public func fit(_ data: UpliftTrainingData) throws(LearnerError) -> Model {
        let labels = try data.labels()
        let design = try Self.design(data.features, treatment: data.treatment.map { $0 ? 1 : 0 }, interactions: base.isLinear)
        return Model(learner: self, featureNames: data.features.names, hasInteractions: base.isLinear, outcome: try base.fit(design, labels: labels))
    }

    /// The features with `treatment` (and `treatment×f` columns) appended.
    static func design(_ features: FeatureMatrix, treatment: [Double], interactions: Bool) throws(LearnerError) -> FeatureMatrix {
        var names = features.names + ["treatment"]
        var values = features.values + treatment
        if interactions {
            for j in 0..<features.featureCount {
                names.append("treatment×\(features.names[j])")
                values += zip(features.column(j), treatment).map { $0 * $1 }
            }
        }
        return try FeatureMatrix(names: names, columnMajor: values, rowCount: features.rowCount)
    }
}
