extension UpliftMetrics {
    /// scikit-uplift's `uplift_auc_score`: the area between the uplift curve and the random
    /// diagonal, relative to the same area for the perfect uplift curve.
    ///
    /// score = (A_model − A_random) / (A_perfect − A_random), where each A is the trapezoidal
    /// area under the curve and A_random = n · y_n / 2 is the straight line from (0, 0) to the
    /// curves' common end point (n, y_n). About 0 for a random ranking, 1 for the perfect one,
    /// negative when worse than random. Not causalml's AUUC (see ``causalMLAUUCScore(_:)``).
    ///
    /// - Throws: ``UpliftError``: `invalid_input` (field `outcomes`) unless every outcome is 0 or
    ///   1; `undefined` when the perfect curve encloses no area with the diagonal (scikit-uplift
    ///   divides by zero and returns NaN or ±inf).
    /// - Complexity: O(distinct scores) on the ranked sample.
    public static func upliftAUCScore(_ sample: UpliftSample) throws(UpliftError) -> Double {
        try sample.ranked.upliftAUCScore(actualArea: sample.ranked.curveAreas().uplift)
    }

    /// scikit-uplift's `qini_auc_score` (the Qini coefficient): the area between the Qini curve
    /// and the random diagonal, relative to the same area for the perfect Qini curve.
    ///
    /// score = (A_model − A_random) / (A_perfect − A_random), A_random = n · y_n / 2 taken from
    /// the perfect curve's end point. With `negativeEffect` (default) the perfect curve also
    /// ranks control responders last, so the score is ≤ 1; without, the perfect curve is the
    /// triangle through (r, r) (see ``perfectQiniCurve(_:negativeEffect:)``), which a model can
    /// beat: scores above 1 are normal there.
    ///
    /// Reference: Radcliffe (2007). Not causalml's `qini_score` (see ``causalMLQiniScore(_:)``).
    ///
    /// - Throws: ``UpliftError``: `invalid_input` (field `outcomes`) unless every outcome is 0 or
    ///   1; `undefined` when the perfect curve encloses no area with the diagonal, and, without
    ///   `negativeEffect`, when the overall incremental response r is negative (scikit-learn's
    ///   `auc` raises "x is neither increasing nor decreasing").
    public static func qiniAUCScore(_ sample: UpliftSample, negativeEffect: Bool = true) throws(UpliftError) -> Double {
        try sample.ranked.qiniAUCScore(actualArea: sample.ranked.curveAreas().qini, negativeEffect: negativeEffect)
    }
}

extension RankedRows {
    func upliftAUCScore(actualArea: Double) throws(UpliftError) -> Double {
        try requireBinaryOutcomes("uplift_auc_score")
        let perfect = try perfectUpliftCurve()
        return try Self.normalisedArea(actual: actualArea, perfect: perfect, metric: "uplift_auc_score")
    }

    func qiniAUCScore(actualArea: Double, negativeEffect: Bool) throws(UpliftError) -> Double {
        let metric = negativeEffect ? "qini_auc_score" : "qini_auc_score_no_negative_effect"
        try requireBinaryOutcomes(metric)
        let perfect = try perfectQiniCurve(negativeEffect: negativeEffect)
        if !negativeEffect {
            let r = overallIncrementalResponse
            guard r >= 0 else {
                throw UpliftError(
                    .undefined,
                    "\(metric) is undefined: the overall incremental response is negative (\(r)), so the perfect Qini curve without negative effects does not exist (scikit-learn's auc raises)",
                    field: metric)
            }
        }
        return try Self.normalisedArea(actual: actualArea, perfect: perfect, metric: metric)
    }

    private static func normalisedArea(actual: Double, perfect: Curve, metric: String) throws(UpliftError) -> Double {
        let random = (perfect.x.last ?? 0) * (perfect.y.last ?? 0) / 2
        let denominator = perfect.area - random
        let score = (actual - random) / denominator
        guard denominator != 0, score.isFinite else {
            throw UpliftError(
                .undefined, "\(metric) is undefined: the perfect curve encloses no area with the random diagonal (no treatment effect can be ranked)",
                field: metric)
        }
        return score
    }
}
