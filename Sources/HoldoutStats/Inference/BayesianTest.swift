/// A Bayesian summary of a lift under a normal approximation.
///
/// The likelihood of the absolute lift δ is N(d, se²) (d and se from the frequentist
/// comparison). With a flat prior the posterior is N(d, se²); with a normal prior N(μ₀, σ₀²) it
/// is the precision-weighted normal with mean (d/se² + μ₀/σ₀²)/(1/se² + 1/σ₀²). Reported:
/// the equal-tailed credible interval at 1 − α, P(δ > 0) = Φ(μ/σ) ("chance to win"), and the
/// expected loss of shipping treatment E[max(0, −δ)] = σ·φ(μ/σ) − μ·Φ(−μ/σ). The relative
/// lift, its sd and its interval divide the absolute ones by |control mean| (treated as known),
/// so a higher treatment is a positive relative lift for a negative control mean too.
public enum BayesianTest {
    /// A normal prior on the absolute lift.
    public struct Prior: Sendable, Hashable, Codable {
        public var mean: Double
        public var standardDeviation: Double

        public init(mean: Double, standardDeviation: Double) {
            self.mean = mean
            self.standardDeviation = standardDeviation
        }

        enum CodingKeys: String, CodingKey {
            case mean
            case standardDeviation = "sd"
        }
    }

    /// The posterior N(mean, sd²) of the lift.
    public static func posterior(estimate d: Double, standardError se: Double, prior: Prior?) throws(StatsError) -> (mean: Double, sd: Double) {
        guard let prior else { return (d, se) }
        guard prior.standardDeviation.isFinite, prior.standardDeviation > 0, prior.mean.isFinite else {
            throw StatsError(.invalidInput, "prior sd must be positive and the mean finite", field: "prior")
        }
        let precisionData = 1 / (se * se)
        let precisionPrior = 1 / (prior.standardDeviation * prior.standardDeviation)
        let precision = precisionData + precisionPrior
        return ((d * precisionData + prior.mean * precisionPrior) / precision, (1 / precision).squareRoot())
    }

    /// Turns a frequentist comparison into its Bayesian summary (two-sided credible interval).
    public static func summarize(_ fixed: Comparison, alpha: Double = 0.05, prior: Prior? = nil) throws(StatsError) -> Comparison {
        try TestOptions(alpha: alpha).validate()
        var result = fixed
        result.pValue = nil
        result.degreesOfFreedom = nil
        guard let d = fixed.upliftAbs, let se = fixed.standardError, se > 0 else {
            result.ciLow = nil
            result.ciHigh = nil
            result.relCiLow = nil
            result.relCiHigh = nil
            return result
        }
        let (mean, sd) = try posterior(estimate: d, standardError: se, prior: prior)
        let z = -Normal.quantile(alpha / 2)
        result.upliftAbs = mean
        result.standardError = sd
        result.ciLow = mean - z * sd
        result.ciHigh = mean + z * sd
        let ratio = mean / sd
        result.chanceToWin = Normal.cdf(ratio)
        result.expectedLoss = max(0, sd * Normal.pdf(ratio) - mean * Normal.cdf(-ratio))
        if fixed.controlMean != 0 {
            let c = abs(fixed.controlMean)
            result.upliftRel = Inference.relativeLift(mean, controlMean: c)
            result.relativeStandardError = sd / c
            result.relCiLow = (mean - z * sd) / c
            result.relCiHigh = (mean + z * sd) / c
        }
        result.sanitize()
        return result
    }
}
