/// The X-learner: T-learner outcome models, imputed individual effects, and a propensity-weighted
/// blend of two effect models.
///
/// 1. Fit μ₀ on the control rows and μ₁ on the treated rows (outcome classifiers).
/// 2. Impute effects: D¹ᵢ = Yᵢ − μ₀(xᵢ) for treated rows, D⁰ᵢ = μ₁(xᵢ) − Yᵢ for control rows.
/// 3. Regress D¹ on x over the treated rows (τ₁) and D⁰ over the control rows (τ₀).
/// 4. Predict τ(x) = g·τ₀(x) + (1 − g)·τ₁(x) with g the propensity P(T = 1).
///
/// g is the known assignment share (the treated share of the training rows) unless given. With
/// an unequal split this weights most the effect model whose imputations use the outcome model
/// of the *larger* arm (at 85% treated, τ₀, built on μ₁), which is the X-learner's advantage
/// over the T-learner when one arm is small.
///
/// Reference: S. R. Künzel, J. S. Sekhon, P. J. Bickel & B. Yu, *Metalearners for estimating
/// heterogeneous treatment effects using machine learning* (PNAS 2019), §3.
public struct XLearner<Outcome: Classifier, Effect: Regressor>: Sendable, Codable {
    public var outcome: Outcome
    public var effect: Effect
    /// g; nil for the treated share of the training rows.
    public var propensity: Double?

    public init(outcome: Outcome, effect: Effect, propensity: Double? = nil) {
        self.outcome = outcome
        self.effect = effect
        self.propensity = propensity
    }

    /// A fitted X-learner.
    public struct Model: UpliftModel {
        public static var learnerName: String { "x_learner(\(Outcome.name), \(Effect.name))" }
        public let learner: XLearner<Outcome, Effect>
        public let featureNames: [String]
        /// The g used in the blend.
        public let propensity: Double
        /// τ₁, fitted on the treated rows' imputed effects.
        public let treatedEffect: Effect.Model
        /// τ₀, fitted on the control rows' imputed effects.
        public let controlEffect: Effect.Model

        public func uplift(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            let g = propensity
            if let control = controlEffect as? GradientBoosting.Model, let treated = treatedEffect as? GradientBoosting.Model,
                control.loss == .squaredError, treated.loss == .squaredError
            {
                // Both effect forests block by block in one pass: the same blend of the same predictions.
                return try GradientBoosting.Model.combined(control, treated, features, threads: threads) { g * $0 + (1 - g) * $1 }
            }
            return zip(try controlEffect.predictions(features, threads: threads), try treatedEffect.predictions(features, threads: threads)).map {
                g * $0 + (1 - g) * $1
            }
        }

        enum CodingKeys: String, CodingKey {
            case learner
            case featureNames = "feature_names"
            case propensity
            case treatedEffect = "treated_effect"
            case controlEffect = "control_effect"
        }
    }

    /// Fits the four models.
    ///
    /// - Throws: ``LearnerError`` for a non-binary outcome, a propensity outside (0, 1), or an
    ///   error of a base learner.
    public func fit(_ data: UpliftTrainingData) throws(LearnerError) -> Model {
        let g = propensity ?? data.treatmentShare
        guard g > 0, g < 1 else { throw LearnerError(.invalidInput, "propensity must be in (0, 1), got \(g)", field: "propensity") }
        _ = try data.labels()
        let treated = data.arm(true)
        let control = data.arm(false)
        let mu1 = try outcome.fit(treated.features, labels: treated.outcome.map { $0 == 1 })
        let mu0 = try outcome.fit(control.features, labels: control.outcome.map { $0 == 1 })
        let imputedTreated = zip(treated.outcome, try mu0.probabilities(treated.features)).map { $0 - $1 }
        let imputedControl = zip(try mu1.probabilities(control.features), control.outcome).map { $0 - $1 }
        return Model(
            learner: self, featureNames: data.features.names, propensity: g,
            treatedEffect: try effect.fit(treated.features, targets: imputedTreated),
            controlEffect: try effect.fit(control.features, targets: imputedControl))
    }
}
