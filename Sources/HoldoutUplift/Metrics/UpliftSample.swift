/// Scored rows of a randomised experiment, validated and ranked once: a model's predicted
/// uplift per unit, the unit's arm and its observed outcome.
///
/// Every metric in ``UpliftMetrics`` reads the same ranking (scores descending, tied rows in
/// decreasing row order, as scikit-uplift's `np.argsort(uplift, kind="mergesort")[::-1]`), so
/// building the sample is the only sort.
///
/// ```swift
/// let sample = try UpliftSample(
///     scores: [0.9, 0.4, 0.4, 0.1], treatment: [true, false, true, false], outcomes: [1, 0, 1, 0])
/// let qini = try UpliftMetrics.qiniAUCScore(sample)
/// ```
public struct UpliftSample: Sendable {
    let ranked: RankedRows

    /// Validates and ranks the rows.
    ///
    /// - Parameters:
    ///   - scores: predicted uplift per row, finite.
    ///   - treatment: `true` for a treated row, `false` for control; both arms must occur.
    ///   - outcomes: observed outcome per row, finite. scikit-uplift's normalised scores
    ///     (``UpliftMetrics/upliftAUCScore(_:)``, ``UpliftMetrics/qiniAUCScore(_:negativeEffect:)``
    ///     and the perfect curves) need 0/1 outcomes; the other metrics accept any real outcome.
    /// - Throws: ``UpliftError`` (`invalid_input`) naming the field: `scores` when empty or not
    ///   finite (with the row), `treatment`/`outcomes` when the lengths differ, `treatment` when
    ///   an arm is missing, `outcomes` when a value is not finite.
    /// - Complexity: O(n) (a radix sort).
    public init(scores: [Double], treatment: [Bool], outcomes: [Double]) throws(UpliftError) {
        let n = scores.count
        guard n > 0 else { throw UpliftError(.invalidInput, "scores is empty: need at least one scored row per arm", field: "scores") }
        guard treatment.count == n else {
            throw UpliftError(.invalidInput, "treatment has \(treatment.count) values but scores has \(n)", field: "treatment")
        }
        guard outcomes.count == n else {
            throw UpliftError(.invalidInput, "outcomes has \(outcomes.count) values but scores has \(n)", field: "outcomes")
        }
        guard n <= Int(UInt32.max) else { throw UpliftError(.invalidInput, "at most \(UInt32.max) rows, got \(n)", field: "scores") }
        if let row = scores.firstIndex(where: { !$0.isFinite }) {
            throw UpliftError(.invalidInput, "scores[\(row)] is \(scores[row]); every score must be a finite number", field: "scores")
        }
        if let row = outcomes.firstIndex(where: { !$0.isFinite }) {
            throw UpliftError(.invalidInput, "outcomes[\(row)] is \(outcomes[row]); every outcome must be a finite number", field: "outcomes")
        }
        let treatedCount = treatment.reduce(0) { $0 + ($1 ? 1 : 0) }
        guard treatedCount > 0, treatedCount < n else {
            let missing = treatedCount == 0 ? "treated" : "control"
            throw UpliftError(
                .invalidInput, "treatment has no \(missing) rows (\(n) rows, all \(treatedCount == 0 ? "control" : "treated")): need both arms",
                field: "treatment")
        }
        let sorted = RankedRows.ranked(scores: scores, treated: treatment, outcomes: outcomes)
        ranked = RankedRows(treated: sorted.treated, outcome: sorted.outcome, groupEnds: sorted.groupEnds, weight: nil)
    }

    /// Validates and ranks the rows, with treatment flags given as 0 (control) and 1 (treated).
    ///
    /// - Throws: ``UpliftError`` as ``init(scores:treatment:outcomes:)``, and `treatment` when a
    ///   flag is neither 0 nor 1.
    public init(scores: [Double], treatment: [Int], outcomes: [Double]) throws(UpliftError) {
        if let row = treatment.firstIndex(where: { $0 != 0 && $0 != 1 }) {
            throw UpliftError(.invalidInput, "treatment[\(row)] is \(treatment[row]); treatment flags must be 0 or 1", field: "treatment")
        }
        try self.init(scores: scores, treatment: treatment.map { $0 == 1 }, outcomes: outcomes)
    }

    /// Scored rows.
    public var count: Int { ranked.units }
    /// Treated rows.
    public var treatedCount: Int { Int(ranked.armUnits(treated: true)) }
    /// Control rows.
    public var controlCount: Int { Int(ranked.armUnits(treated: false)) }
    /// Every outcome is 0 or 1 (scikit-uplift's normalised scores need this).
    public var hasBinaryOutcomes: Bool { ranked.isBinaryOutcome }
    /// Distinct scores (groups of tied rows).
    public var distinctScores: Int { ranked.groupEnds.count }
}
