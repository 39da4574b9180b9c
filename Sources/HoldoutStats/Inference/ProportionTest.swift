/// The two-proportion z-test, as seed 001 and `statsmodels.proportions_ztest` compute it.
///
/// - p-value: pooled z = (p_t − p_c) / √(p̄(1 − p̄)(1/n_t + 1/n_c)), p̄ = (x_t + x_c)/(n_t + n_c).
/// - Interval: unpooled (Wald) standard error √(p_t(1 − p_t)/n_t + p_c(1 − p_c)/n_c).
/// - Relative lift (p_t − p_c)/p_c with the delta-method variance v_t/p_c² + p_t²·v_c/p_c⁴,
///   v = p(1 − p)/n.
///
/// Degenerate inputs return ``Comparison/insufficientData`` with a reason and no NaN: an empty
/// arm; every unit with the same outcome in both arms (pooled variance zero); a zero control
/// rate (no relative lift); zero variance within both arms (no Wald interval).
///
/// - Complexity: O(1).
public enum ProportionTest {
    /// Compares treatment with control.
    ///
    /// ```swift
    /// let r = try ProportionTest.compare(
    ///     control: .init(n: 200, conversions: 8), treatment: .init(n: 800, conversions: 45))
    /// r.upliftAbs  // 0.01625
    /// ```
    /// - Throws: ``StatsError`` when counts are negative, conversions exceed n, or α ∉ (0, 1).
    public static func compare(
        control: ProportionStatistic, treatment: ProportionStatistic, options: TestOptions = .standard
    ) throws(StatsError) -> Comparison {
        try control.validate(arm: "control")
        try treatment.validate(arm: "treatment")
        try options.validate()
        let pc = control.rate
        let pt = treatment.rate
        var result = Comparison(controlMean: pc, treatmentMean: pt)
        guard control.n > 0, treatment.n > 0 else {
            result.insufficientData = true
            result.reason = control.n == 0 ? "control has no units" : "treatment has no units"
            return result
        }
        let nc = Double(control.n)
        let nt = Double(treatment.n)
        let estimate = pt - pc
        result.upliftAbs = estimate
        let pooled = Double(control.conversions + treatment.conversions) / (nc + nt)
        let pooledSE = (pooled * (1 - pooled) * (1 / nc + 1 / nt)).squareRoot()
        guard pooledSE > 0 else {
            result.insufficientData = true
            result.reason =
                pooled == 0 ? "no unit converted in either arm" : "every unit converted in both arms"
            return result
        }
        let vc = pc * (1 - pc) / nc
        let vt = pt * (1 - pt) / nt
        let se = (vc + vt).squareRoot()
        var reasons: [String] = []
        var relativeSE: Double?
        if pc > 0 {
            result.upliftRel = Inference.relativeLift(estimate, controlMean: pc)
            relativeSE = Inference.relativeVariance(controlMean: pc, treatmentMean: pt, controlVariance: vc, treatmentVariance: vt)
                .squareRoot()
        } else {
            reasons.append("control conversion rate is zero, so the relative lift is undefined")
        }
        let z = estimate / pooledSE
        if se > 0 {
            Inference.complete(
                &result, estimate: estimate, standardError: se, z: z, relativeStandardError: relativeSE,
                options: options, distribution: .normal)
        } else {
            reasons.append("both arms have zero variance (rates of 0 or 1), so the interval is undefined")
            result.pValue = Inference.pValue(z, alternative: options.alternative, distribution: .normal)
        }
        if !reasons.isEmpty {
            result.insufficientData = true
            result.reason = reasons.joined(separator: "; ")
        }
        result.sanitize()
        return result
    }
}
