/// The T-learner ("two models"): one outcome model per arm.
///
/// Fits μ₁(x) ≈ P(Y = 1 | X = x, T = 1) on the treated rows and μ₀(x) on the control rows, and
/// predicts τ(x) = μ₁(x) − μ₀(x). Each model sees only its arm, so with a small control group
/// (a 15% holdout) μ₀ is the noisier half and its errors go straight into τ.
///
/// Reference: Künzel et al., *Metalearners for estimating heterogeneous treatment effects
/// using machine learning* (PNAS 2019), §2.
public struct TLearner<Base: Classifier>: Sendable, Codable {
    public var base: Base

    public init(base: Base) { self.base = base }

    /// A fitted T-learner.
    public struct Model: UpliftModel {
        public static var learnerName: String { "t_learner(\(Base.name))" }
        public let learner: TLearner<Base>
        public let featureNames: [String]
        /// μ₁, fitted on the treated rows.
        public let treated: Base.Model
        /// μ₀, fitted on the control rows.
        public let control: Base.Model

        public func uplift(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            if let treated = treated as? GradientBoosting.Model, let control = control as? GradientBoosting.Model, treated.loss == .logLoss,
                control.loss == .logLoss
            {
                // Both forests block by block in one pass: the same differences of the same probabilities.
                return try GradientBoosting.Model.combined(treated, control, features, threads: threads) {
                    GradientBoosting.Model.logistic($0) - GradientBoosting.Model.logistic($1)
                }
            }
            return zip(try treated.probabilities(features, threads: threads), try control.probabilities(features, threads: threads)).map { $0 - $1 }
        }

        enum CodingKeys: String, CodingKey {
            case learner
            case featureNames = "feature_names"
            case treated
            case control
        }
    }

    /// Fits the two outcome models.
    ///
    /// - Throws: ``LearnerError`` for a non-binary outcome or an error of the base learner.
    public func fit(_ data: UpliftTrainingData) throws(LearnerError) -> Model {
        _ = try data.labels()
        let treated = data.arm(true)
        let control = data.arm(false)
        return Model(
            learner: self, featureNames: data.features.names, treated: try base.fit(treated.features, labels: treated.outcome.map { $0 == 1 }),
            control: try base.fit(control.features, labels: control.outcome.map { $0 == 1 }))
    }
}
