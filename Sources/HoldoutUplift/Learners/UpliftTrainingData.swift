/// Rows of a randomized experiment to fit an uplift model on: features, the arm, the outcome.
///
/// `outcome` is 0/1 for the learners built on a ``Classifier`` and any finite value for the
/// transformed-outcome regression.
public struct UpliftTrainingData: Sendable, Hashable {
    public let features: FeatureMatrix
    public let treatment: [Bool]
    public let outcome: [Double]

    /// - Throws: ``LearnerError`` when the lengths differ, an arm is empty or an outcome is not finite.
    public init(features: FeatureMatrix, treatment: [Bool], outcome: [Double]) throws(LearnerError) {
        try Check.rows(treatment.count, features, "treatment")
        try Check.rows(outcome.count, features, "outcome")
        try Check.finite(outcome, "outcome")
        guard treatment.contains(true), treatment.contains(false) else {
            throw LearnerError(.invalidInput, "uplift needs rows in both arms", field: "treatment")
        }
        self.features = features
        self.treatment = treatment
        self.outcome = outcome
    }

    /// Share of rows treated.
    public var treatmentShare: Double { Double(treatment.count { $0 }) / Double(treatment.count) }

    /// The outcome as labels.
    ///
    /// - Throws: ``LearnerError`` when an outcome is not 0 or 1.
    func labels() throws(LearnerError) -> [Bool] {
        if let bad = outcome.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw LearnerError(.invalidInput, "this learner needs a 0/1 outcome; row \(bad) has \(outcome[bad])", field: "outcome")
        }
        return outcome.map { $0 == 1 }
    }

    /// The rows of one arm: features and labels.
    func arm(_ treated: Bool) -> (features: FeatureMatrix, outcome: [Double]) {
        let rows = treatment.indices.filter { treatment[$0] == treated }
        return (features.rows(rows), rows.map { outcome[$0] })
    }
}
