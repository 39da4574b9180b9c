/// A fitted model that gives the probability of a binary outcome for each row.
public protocol ProbabilityModel: Sendable, Codable {
    /// The features the model was fitted on, in order.
    var featureNames: [String] { get }
    /// P(y = 1 | x) for every row of `features`.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
    func probabilities(_ features: FeatureMatrix) throws(LearnerError) -> [Double]
    /// P(y = 1 | x) for every row, on up to `threads` threads; the values do not depend on `threads`.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
    func probabilities(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double]
}

/// A fitted model that predicts a real-valued outcome for each row.
public protocol RegressionModel: Sendable, Codable {
    /// The features the model was fitted on, in order.
    var featureNames: [String] { get }
    /// E[y | x] for every row of `features`.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
    func predictions(_ features: FeatureMatrix) throws(LearnerError) -> [Double]
    /// E[y | x] for every row, on up to `threads` threads; the values do not depend on `threads`.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
    func predictions(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double]
}

/// A learner for a binary outcome: its settings, and a `fit` that returns a ``ProbabilityModel``.
///
/// Conformers: ``LogisticRegression``, ``BoostedTreesClassifier``.
public protocol Classifier: Sendable, Codable {
    associatedtype Model: ProbabilityModel
    /// The learner's name in model files, e.g. `logistic_regression`.
    static var name: String { get }
    /// True for a model linear in its inputs: the S-learner then adds treatment × feature
    /// columns, since a treatment column alone could only shift every row's log-odds alike.
    var isLinear: Bool { get }
    /// Fits P(y = 1 | x).
    ///
    /// - Parameters:
    ///   - labels: one outcome per row.
    ///   - weights: optional non-negative weights per row (a weighted log-loss).
    /// - Throws: ``LearnerError`` for mismatched shapes, bad weights or bad settings.
    func fit(_ features: FeatureMatrix, labels: [Bool], weights: [Double]?) throws(LearnerError) -> Model
}

/// A learner for a real-valued outcome: its settings, and a `fit` that returns a ``RegressionModel``.
///
/// Conformers: ``BoostedTreesRegressor``, ``RidgeRegression``.
public protocol Regressor: Sendable, Codable {
    associatedtype Model: RegressionModel
    /// The learner's name in model files, e.g. `ridge_regression`.
    static var name: String { get }
    /// Fits E[y | x] by (weighted) least squares.
    ///
    /// - Throws: ``LearnerError`` for mismatched shapes, bad weights or bad settings.
    func fit(_ features: FeatureMatrix, targets: [Double], weights: [Double]?) throws(LearnerError) -> Model
}

/// A fitted uplift model: the predicted conditional average treatment effect
/// τ(x) = E[Y | X = x, T = 1] − E[Y | X = x, T = 0] for each row.
///
/// Conformers: the `Model` of ``SLearner``, ``TLearner``, ``XLearner``, ``ClassTransformation``
/// and ``TransformedOutcome``. A fitted model is `Codable`; ``UpliftModelFile`` wraps it in a
/// versioned file.
public protocol UpliftModel: Sendable, Codable {
    /// The learner and its base learners, e.g. `s_learner(logistic_regression)`.
    static var learnerName: String { get }
    /// The features the model was fitted on, in order (without the treatment).
    var featureNames: [String] { get }
    /// Predicted uplift per row, on up to `threads` threads; the scores are bit-identical for any
    /// number of threads.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
    func uplift(_ features: FeatureMatrix, threads: Int) throws(LearnerError) -> [Double]
}

extension UpliftModel {
    /// Predicted uplift per row, on one thread.
    ///
    /// - Throws: ``LearnerError/Code/featureMismatch`` when the features differ from ``featureNames``.
    public func uplift(_ features: FeatureMatrix) throws(LearnerError) -> [Double] {
        try uplift(features, threads: 1)
    }
}

extension Classifier {
    /// Fits without weights.
    public func fit(_ features: FeatureMatrix, labels: [Bool]) throws(LearnerError) -> Model {
        try fit(features, labels: labels, weights: nil)
    }
}

extension Regressor {
    /// Fits without weights.
    public func fit(_ features: FeatureMatrix, targets: [Double]) throws(LearnerError) -> Model {
        try fit(features, targets: targets, weights: nil)
    }
}

/// Shape and value checks shared by every learner.
enum Check {
    static func rows(_ count: Int, _ features: FeatureMatrix, _ what: String) throws(LearnerError) {
        guard count == features.rowCount else {
            throw LearnerError(.invalidInput, "\(count) \(what) for \(features.rowCount) rows", field: what)
        }
        guard count > 0 else { throw LearnerError(.invalidInput, "no rows to fit") }
    }

    static func weights(_ weights: [Double]?, _ features: FeatureMatrix) throws(LearnerError) {
        guard let weights else { return }
        try rows(weights.count, features, "weights")
        if let bad = weights.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw LearnerError(.invalidInput, "weight \(weights[bad]) in row \(bad) is not finite and non-negative", field: "weights")
        }
        guard weights.contains(where: { $0 > 0 }) else { throw LearnerError(.invalidInput, "every weight is zero", field: "weights") }
    }

    static func finite(_ values: [Double], _ what: String) throws(LearnerError) {
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw LearnerError(.invalidInput, "\(what) is not finite in row \(bad)", field: what)
        }
    }
}
