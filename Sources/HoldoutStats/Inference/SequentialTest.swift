import RealModule

/// Always-valid inference for continuous monitoring: asymptotic confidence sequences.
///
/// For an estimate d with variance V from N = n_c + n_t units, s² = V·N and
/// ρ = √((−2 log α + log(−2 log α + 1)) / τ) (τ the tuning sample size, default 5,000):
///
///     half-width = √s² · √( 2(Nρ² + 1) · log(√(Nρ² + 1)/α) / (Nρ)² )
///     p-value    = min(1, 1/E),  E = exp(ρ²·S/(2(Nρ² + 1))) / √(Nρ² + 1),  S = d²N/V
///
/// The interval covers the true lift at every sample size simultaneously with probability
/// 1 − α, so it can be checked every night without inflating false positives. It is wider than
/// the fixed-horizon interval and shrinks as data arrive. With the same τ and absolute
/// differences it matches GrowthBook's `SequentialTwoSidedTTest` (gbstats 0.8.0); the relative
/// sequence is the same construction around the fixed comparison's relative lift
/// (m_t − m_c)/|m_c| and its delta-method variance.
///
/// Reference: I. Waudby-Smith, D. Arbour, R. Sinha, E. H. Kennedy, A. Ramdas, *Time-uniform
/// central limit theory and asymptotic confidence sequences*, arXiv:2103.06476 (eq. 9, 155, 161).
public enum SequentialTest {
    /// GrowthBook's default tuning sample size.
    public static let defaultTuning = 5000.0

    /// The mixing parameter ρ for α and τ (eq. 161).
    public static func rho(alpha: Double, tuning: Double) -> Double {
        let l = -2 * Double.log(alpha)
        return ((l + Double.log(l + 1)) / tuning).squareRoot()
    }

    /// The confidence-sequence half-width for variance `variance` of an estimate from `n` units.
    public static func halfWidth(variance: Double, n: Double, alpha: Double, tuning: Double) -> Double {
        let r = rho(alpha: alpha, tuning: tuning)
        let nr2 = n * r * r
        let s2 = variance * n
        return s2.squareRoot() * (2 * (nr2 + 1) * Double.log((nr2 + 1).squareRoot() / alpha) / (n * nr2)).squareRoot()
    }

    /// Always-valid comparison of means (Welch variance), two-sided.
    public static func compare(
        control: MeanStatistic, treatment: MeanStatistic, alpha: Double = 0.05, tuning: Double = defaultTuning
    ) throws(StatsError) -> Comparison {
        let fixed = try WelchTest.compare(control: control, treatment: treatment, options: TestOptions(alpha: alpha))
        return try sequentialize(fixed, n: Double(control.n + treatment.n), alpha: alpha, tuning: tuning)
    }

    /// Always-valid comparison of proportions (unpooled variance), two-sided.
    public static func compare(
        control: ProportionStatistic, treatment: ProportionStatistic, alpha: Double = 0.05,
        tuning: Double = defaultTuning
    ) throws(StatsError) -> Comparison {
        let fixed = try ProportionTest.compare(control: control, treatment: treatment, options: TestOptions(alpha: alpha))
        return try sequentialize(fixed, n: Double(control.n + treatment.n), alpha: alpha, tuning: tuning)
    }

    /// Always-valid comparison of ratio metrics (delta-method variance), two-sided.
    public static func compare(
        control: RatioStatistic, treatment: RatioStatistic, alpha: Double = 0.05, tuning: Double = defaultTuning
    ) throws(StatsError) -> Comparison {
        let fixed = try RatioTest.compare(control: control, treatment: treatment, options: TestOptions(alpha: alpha))
        return try sequentialize(fixed, n: Double(control.n + treatment.n), alpha: alpha, tuning: tuning)
    }

    /// Replaces a fixed-horizon comparison's intervals and p-value by always-valid ones, using
    /// its standard errors.
    static func sequentialize(_ fixed: Comparison, n: Double, alpha: Double, tuning: Double) throws(StatsError) -> Comparison {
        guard tuning.isFinite, tuning > 0 else {
            throw StatsError(.invalidInput, "tuning must be positive, got \(tuning)", field: "tuning")
        }
        var result = fixed
        result.degreesOfFreedom = nil
        guard let estimate = fixed.upliftAbs, let se = fixed.standardError, se > 0 else { return fixed }
        let variance = se * se
        let width = halfWidth(variance: variance, n: n, alpha: alpha, tuning: tuning)
        result.ciLow = estimate - width
        result.ciHigh = estimate + width
        if let rel = fixed.upliftRel, let relSE = fixed.relativeStandardError {
            let relWidth = halfWidth(variance: relSE * relSE, n: n, alpha: alpha, tuning: tuning)
            result.relCiLow = rel - relWidth
            result.relCiHigh = rel + relWidth
        }
        let r = rho(alpha: alpha, tuning: tuning)
        let st2 = estimate * estimate * n / variance
        let tr2p1 = n * r * r + 1
        let logE = r * r * st2 / (2 * tr2p1) - 0.5 * Double.log(tr2p1)
        result.pValue = min(1, Double.exp(-logE))
        result.sanitize()
        return result
    }
}
