/// The class-transformation (label-flip) uplift model for a binary outcome.
///
/// Jaskowski & Jaroszewicz define Z = T·Y + (1 − T)·(1 − Y) (a treated converter or a control
/// non-converter) and show that when both arms are equally likely,
///
///     P(Z = 1 | x) = ½·P(Y = 1 | x, T = 1) + ½·(1 − P(Y = 1 | x, T = 0)),
///     τ(x) = 2·P(Z = 1 | x) − 1,
///
/// so one classifier of Z estimates the uplift. With a treated share p ≠ ½ the identity breaks
/// (P(Z = 1 | x) = p·μ₁ + (1 − p)(1 − μ₀), from which τ cannot be recovered). The corrected form
/// (the default) fits the classifier with weights 1/(2p) on treated and 1/(2(1 − p)) on control
/// rows, which makes the arms equally likely in the weighted data, so the identity holds again.
/// The plain form (``Form/plain``) fits unweighted; asked for at a share outside 0.45…0.55 it
/// still fits, and the model carries a ``LearnerWarning`` saying that its uplift is biased.
///
/// Reference: M. Jaskowski & S. Jaroszewicz, *Uplift modeling for clinical trial data* (ICML
/// 2012 Workshop on Clinical Data Analysis); scikit-uplift's `ClassTransformation` (plain form).
public struct ClassTransformation<Base: Classifier>: Sendable, Codable {
    /// Whether the arms are reweighted to equal size.
    public enum Form: String, Sendable, Hashable, Codable {
        /// Weights 1/(2p) and 1/(2(1 − p)): valid at any treated share p.
        case corrected
        /// Unweighted: valid only when p = ½.
        case plain
    }

    public var base: Base
    public var form: Form

    public init(base: Base, form: Form = .corrected) {
        self.base = base
        self.form = form
    }

    /// Treated shares at which the plain form is accepted without a warning.
    public static var plainShareRange: ClosedRange<Double> { 0.45...0.55 }

    /// A fitted class-transformation model.
    public struct Model: UpliftModel {
        public static var learnerName: String { "class_transformation(\(Base.name))" }
        public let learner: ClassTransformation<Base>
        public let featureNames: [String]
        /// The treated share p of the training rows.
        public let treatmentShare: Double
        /// Set when the plain form was fitted at a share outside ``ClassTransformation/plainShareRange``.
        public let warning: LearnerWarning?
        /// The classifier of Z.
        public let transformed: Base.Model

        public func uplift(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double] {
            try features.requireFeatures(featureNames)
            if let trees = transformed as? GradientBoosting.Model, trees.loss == .logLoss {
                try features.requireFeatures(trees.featureNames)
                // 2σ(F) − 1 applied by the scoring threads: the same numbers without a second pass.
                return trees.forest.predict(features, baseline: trees.baseline, threads: threads) { 2 * GradientBoosting.Model.logistic($0) - 1 }
            }
            return try transformed.probabilities(features, threads: threads).map { 2 * $0 - 1 }
        }

        enum CodingKeys: String, CodingKey {
            case learner
            case featureNames = "feature_names"
            case treatmentShare = "treatment_share"
            case warning
            case transformed
        }
    }

    /// Fits the classifier of Z.
    ///
    /// - Throws: ``LearnerError`` for a non-binary outcome or an error of the base learner.
    public func fit(_ data: UpliftTrainingData) throws(LearnerError) -> Model {
        let labels = try data.labels()
        let p = data.treatmentShare
        let z = zip(data.treatment, labels).map { $0 == $1 }
        var weights: [Double]? = nil
        var warning: LearnerWarning? = nil
        switch form {
        case .corrected:
            weights = data.treatment.map { $0 ? 0.5 / p : 0.5 / (1 - p) }
        case .plain where !Self.plainShareRange.contains(p):
            warning = LearnerWarning(
                .unequalTreatmentShare,
                "the plain class transformation assumes a 50/50 split, but \(p) of the rows are treated: its uplift is biased; use the corrected form")
        case .plain:
            break
        }
        return Model(
            learner: self, featureNames: data.features.names, treatmentShare: p, warning: warning,
            transformed: try base.fit(data.features, labels: z, weights: weights))
    }
}

/// A fit that succeeded but whose result should be read with care.
public struct LearnerWarning: Sendable, Hashable, Codable, CustomStringConvertible {
    /// A stable warning code.
    public struct Code: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// A method that assumes equal arms was used with unequal arms.
        public static let unequalTreatmentShare = Code(rawValue: "unequal_treatment_share")
        public var description: String { rawValue }
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}
