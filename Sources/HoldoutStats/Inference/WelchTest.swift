/// Welch's unequal-variance t-test on sufficient statistics (n, Σy, Σy²) per arm.
///
/// - Estimate ȳ_t − ȳ_c with variance s²_t/n_t + s²_c/n_c (unbiased sample variances).
/// - Welch–Satterthwaite degrees of freedom
///   ν = (v_t + v_c)² / (v_t²/(n_t − 1) + v_c²/(n_c − 1)), v = s²/n; the interval uses the
///   t quantile with ν, as `scipy.stats.ttest_ind(equal_var=False)` and gbstats do.
/// - Relative lift (ȳ_t − ȳ_c)/|ȳ_c| (positive when treatment is higher, also for a negative
///   control mean), by the delta method with the same quantile.
///
/// Degenerate inputs (an arm with n < 2, zero variance in both arms, zero control mean)
/// return ``Comparison/insufficientData`` with a reason.
///
/// Reference: B. L. Welch, *Biometrika* 34 (1947), 28–35.
public enum WelchTest {
    /// Compares treatment with control.
    /// - Throws: ``StatsError`` for negative n, non-finite sums or α ∉ (0, 1).
    public static func compare(
        control: MeanStatistic, treatment: MeanStatistic, options: TestOptions = .standard
    ) throws(StatsError) -> Comparison {
        try control.validate(arm: "control")
        try treatment.validate(arm: "treatment")
        try options.validate()
        let mc = control.mean
        let mt = treatment.mean
        var result = Comparison(controlMean: mc, treatmentMean: mt)
        guard control.n >= 2, treatment.n >= 2 else {
            result.insufficientData = true
            result.reason = "each arm needs at least 2 units for a variance (control n = \(control.n), treatment n = \(treatment.n))"
            if control.n > 0 && treatment.n > 0 { result.upliftAbs = mt - mc }
            result.sanitize()
            return result
        }
        let nc = Double(control.n)
        let nt = Double(treatment.n)
        let vc = control.variance / nc
        let vt = treatment.variance / nt
        let se = (vc + vt).squareRoot()
        let estimate = mt - mc
        result.upliftAbs = estimate
        guard se > 0 else {
            result.insufficientData = true
            result.reason = "both arms have zero variance"
            result.sanitize()
            return result
        }
        let df = (vc + vt) * (vc + vt) / (vt * vt / (nt - 1) + vc * vc / (nc - 1))
        var relativeSE: Double?
        if mc != 0 {
            result.upliftRel = Inference.relativeLift(estimate, controlMean: mc)
            relativeSE = Inference.relativeVariance(controlMean: mc, treatmentMean: mt, controlVariance: vc, treatmentVariance: vt)
                .squareRoot()
        } else {
            result.insufficientData = true
            result.reason = "control mean is zero, so the relative lift is undefined"
        }
        Inference.complete(
            &result, estimate: estimate, standardError: se, z: estimate / se, relativeStandardError: relativeSE,
            options: options, distribution: .studentT(degreesOfFreedom: df))
        result.sanitize()
        return result
    }
}
