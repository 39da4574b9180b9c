public import HoldoutModel
public import HoldoutUplift

/// A meta-learner on a base learner, named `meta:base` (`s:gbdt`, `class-transformation:logistic`):
/// what `holdout analyze --learners` takes and trains.
///
/// Where the meta-learner fits a regression (the X-learner's effect models, the
/// transformed-outcome regression), `gbdt` is the squared-error GBDT and `logistic` stands for
/// the linear family: ridge regression.
public struct UpliftLearnerChoice: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Meta: String, Sendable, Hashable, Codable, CaseIterable {
        case s, t, x
        case classTransformation = "class-transformation"
        case transformedOutcome = "transformed-outcome"
    }
    public enum Base: String, Sendable, Hashable, Codable, CaseIterable {
        case gbdt, logistic
    }

    public var meta: Meta
    public var base: Base

    public init(meta: Meta, base: Base) {
        self.meta = meta
        self.base = base
    }

    /// Parses `meta:base`.
    ///
    /// - Throws: ``HoldoutError`` naming `learners` and listing the choices.
    public init(parsing text: String) throws(HoldoutError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2, let meta = Meta(rawValue: parts[0]), let base = Base(rawValue: parts[1]) else {
            throw HoldoutError(
                .invalidInput,
                "learner '\(text)' is not meta:base with meta one of \(Meta.allCases.map(\.rawValue).joined(separator: ", ")) and base gbdt or logistic (e.g. s:gbdt)",
                field: "learners")
        }
        self.init(meta: meta, base: base)
    }

    public var description: String { "\(meta.rawValue):\(base.rawValue)" }

    /// The defaults: the GBDT S-learner and the corrected class transformation on logistic
    /// regression (seed 002's pair).
    public static let defaults = [UpliftLearnerChoice(meta: .s, base: .gbdt), UpliftLearnerChoice(meta: .classTransformation, base: .logistic)]

    /// Fits the learner on `data`.
    ///
    /// - Parameters:
    ///   - lambda: the L2 penalty of logistic and ridge regression.
    ///   - propensity: P(T = 1) for the X-learner and the transformed outcome (nil: the treated
    ///     share of `data`).
    public func fit(
        _ data: UpliftTrainingData, settings: GradientBoosting.Settings, lambda: Double = 1, propensity: Double? = nil
    ) throws(LearnerError) -> any UpliftModel {
        let trees = BoostedTreesClassifier(settings: settings)
        let regressor = BoostedTreesRegressor(settings: settings)
        let logistic = LogisticRegression(lambda: lambda)
        let ridge = RidgeRegression(lambda: lambda)
        switch (meta, base) {
        case (.s, .gbdt): return try SLearner(base: trees).fit(data)
        case (.s, .logistic): return try SLearner(base: logistic).fit(data)
        case (.t, .gbdt): return try TLearner(base: trees).fit(data)
        case (.t, .logistic): return try TLearner(base: logistic).fit(data)
        case (.x, .gbdt): return try XLearner(outcome: trees, effect: regressor, propensity: propensity).fit(data)
        case (.x, .logistic): return try XLearner(outcome: logistic, effect: ridge, propensity: propensity).fit(data)
        case (.classTransformation, .gbdt): return try ClassTransformation(base: trees).fit(data)
        case (.classTransformation, .logistic): return try ClassTransformation(base: logistic).fit(data)
        case (.transformedOutcome, .gbdt): return try TransformedOutcome(base: regressor, propensity: propensity).fit(data)
        case (.transformedOutcome, .logistic): return try TransformedOutcome(base: ridge, propensity: propensity).fit(data)
        }
    }

    /// Trains on `data` and scores `features` on every core.
    public func fitAndScore(
        _ data: UpliftTrainingData, score features: FeatureMatrix, settings: GradientBoosting.Settings, lambda: Double, propensity: Double
    ) throws(LearnerError) -> [Double] {
        try fit(data, settings: settings, lambda: lambda, propensity: propensity).uplift(features, threads: max(1, settings.threads))
    }
}

extension UpliftLearnerChoice.Meta {
    /// Whether the learner needs a 0/1 outcome (the transformed outcome takes any number).
    public var needsBinaryOutcome: Bool { self != .transformedOutcome }
}
