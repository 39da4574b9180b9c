/// Comparison of ratio metrics (Σ numerator / Σ denominator per arm) by the delta method,
/// with a normal reference distribution.
///
/// Var(R) ≈ (s²_m − 2R·s_md + R²·s²_d)/(n·d̄²) per arm (``RatioStatistic/varianceOfRatio``);
/// the difference R_t − R_c has the sum of the arm variances; the relative lift
/// (R_t − R_c)/|R_c| (positive when treatment is higher, also for a negative ratio such as
/// profit per order) uses v_t/R_c² + R_t²·v_c/R_c⁴.
///
/// Reference: A. Deng, U. Knoblich, J. Lu, *Applying the Delta Method in Metric Analytics*
/// (KDD 2018).
public enum RatioTest {
    /// Compares treatment with control.
    /// - Throws: ``StatsError`` for negative n, non-finite sums or α ∉ (0, 1).
    public static func compare(
        control: RatioStatistic, treatment: RatioStatistic, options: TestOptions = .standard
    ) throws(StatsError) -> Comparison {
        try control.validate(arm: "control")
        try treatment.validate(arm: "treatment")
        try options.validate()
        let rc = control.ratio
        let rt = treatment.ratio
        var result = Comparison(controlMean: rc, treatmentMean: rt)
        guard control.n >= 2, treatment.n >= 2, control.sumDenominator != 0, treatment.sumDenominator != 0 else {
            result.insufficientData = true
            result.reason = "each arm needs at least 2 units and a non-zero denominator sum"
            return result
        }
        let vc = control.varianceOfRatio
        let vt = treatment.varianceOfRatio
        let se = (vc + vt).squareRoot()
        let estimate = rt - rc
        result.upliftAbs = estimate
        guard se > 0 else {
            result.insufficientData = true
            result.reason = "both arms have zero variance"
            result.sanitize()
            return result
        }
        var relativeSE: Double?
        if rc != 0 {
            result.upliftRel = Inference.relativeLift(estimate, controlMean: rc)
            relativeSE = Inference.relativeVariance(controlMean: rc, treatmentMean: rt, controlVariance: vc, treatmentVariance: vt)
                .squareRoot()
        } else {
            result.insufficientData = true
            result.reason = "control ratio is zero, so the relative lift is undefined"
        }
        Inference.complete(
            &result, estimate: estimate, standardError: se, z: estimate / se, relativeStandardError: relativeSE,
            options: options, distribution: .normal)
        result.sanitize()
        return result
    }
}
