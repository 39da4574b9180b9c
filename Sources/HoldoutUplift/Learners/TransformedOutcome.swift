/// The transformed-outcome regression of Athey & Imbens.
///
/// With a known propensity p = P(T = 1) (the treated share of the training rows unless given),
///
///     Y* = Y · (T − p) / (p(1 − p))     (Y/p for treated rows, −Y/(1 − p) for control rows)
///
/// is unbiased for the effect: E[Y* | X = x] = τ(x) under randomization. Any regressor of Y* on
/// x therefore estimates τ(x) directly, and the outcome may be binary or continuous. Y* is
/// noisy (its variance grows as p nears 0 or 1: at p = 0.85 a control converter counts −6.7),
/// so it needs more rows than the two-model learners for the same precision.
///
/// Reference: S. Athey & G. W. Imbens, *Recursive partitioning for heterogeneous causal
/// effects* (PNAS 2016), §2.
public struct TransformedOutcome<Base: Regressor>: Sendable, Codable {
    public var base: Base
    /// p; nil for the treated share of the training rows.
    public var propensity: Double?

    public init(base: Base, propensity: Double? = nil) {
        self.base = base
        self.propensity = propensity
    }

    /// A fitted transformed-outcome model.
    public struct Model: UpliftModel {
        public static var learnerName: String { "transformed_outcome(\(Base.name))" }
        public let learner: TransformedOutcome<Base>
        public let featureNames: [String]
        /// The p used to transform the outcome.
        public let propensity: Double
        /// The regression of Y* on x.
        public let regression: Base.Model

        public func uplift(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            return try regression.predictions(features, threads: threads)
        }

        enum CodingKeys: String, CodingKey {
            case learner
            case featureNames = "feature_names"
            case propensity
            case regression
        }
    }

    /// Fits the regression of Y*.
    ///
    /// - Throws: ``LearnerError`` for a propensity outside (0, 1) or an error of the base learner.
    public func fit(_ data: UpliftTrainingData) throws(LearnerError) -> Model {
        let p = propensity ?? data.treatmentShare
        guard p > 0, p < 1 else { throw LearnerError(.invalidInput, "propensity must be in (0, 1), got \(p)", field: "propensity") }
        let transformed = zip(data.outcome, data.treatment).map { y, t in t ? y / p : -y / (1 - p) }
        return Model(learner: self, featureNames: data.features.names, propensity: p, regression: try base.fit(data.features, targets: transformed))
    }
}
