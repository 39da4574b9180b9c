/// The alternative hypothesis of a two-sample test.
public enum Alternative: String, Sendable, Hashable, Codable, CaseIterable {
    /// H₁: treatment ≠ control.
    case twoSided = "two-sided"
    /// H₁: treatment > control. The interval is [low, ∞), reported with `ci_high` = null.
    case greater
    /// H₁: treatment < control. The interval is (−∞, high], reported with `ci_low` = null.
    case less
}

/// Options shared by every two-sample comparison.
public struct TestOptions: Sendable, Hashable {
    /// Significance level; intervals have coverage 1 − α.
    public var alpha: Double { didSet { updateTail() } }
    public var alternative: Alternative { didSet { updateTail() } }
    /// The tail probability of the critical value: α/2 two-sided, α one-sided.
    private(set) var tail: Double
    /// z at that tail, computed once per options value rather than once per comparison.
    private(set) var normalCritical: Double

    public init(alpha: Double = 0.05, alternative: Alternative = .twoSided) {
        self.alpha = alpha
        self.alternative = alternative
        tail = alternative == .twoSided ? alpha / 2 : alpha
        normalCritical = -Normal.quantile(tail)
    }

    /// α = 0.05, two-sided.
    public static let standard = TestOptions()

    private mutating func updateTail() {
        tail = alternative == .twoSided ? alpha / 2 : alpha
        normalCritical = -Normal.quantile(tail)
    }

    /// Checks 0 < α < 1.
    public func validate() throws(StatsError) {
        guard alpha.isFinite, alpha > 0, alpha < 1 else {
            throw StatsError(.invalidInput, "alpha must be in (0, 1), got \(alpha)", field: "alpha")
        }
    }
}

/// The result of comparing a treatment arm with control.
///
/// Field names follow seed 001's results (`uplift_abs`, `ci_low`, …). Every number is finite:
/// what cannot be computed is `nil` (JSON `null`) and ``insufficientData`` says why in
/// ``reason``. For one-sided tests the unbounded side of an interval is `nil`.
public struct Comparison: Sendable, Hashable, Codable {
    /// Control's mean (conversion rate, mean per unit or ratio).
    public var controlMean: Double
    /// Treatment's mean.
    public var treatmentMean: Double
    /// treatment − control.
    public var upliftAbs: Double?
    /// (treatment − control) / |control|: positive when treatment is higher, whatever the sign
    /// of control's mean (gbstats' convention, growthbook/growthbook PR #6658).
    public var upliftRel: Double?
    /// The interval for ``upliftAbs`` (the method's: fixed-horizon, always-valid or credible).
    public var ciLow: Double?
    public var ciHigh: Double?
    /// The interval for ``upliftRel``.
    public var relCiLow: Double?
    public var relCiHigh: Double?
    /// The p-value (always-valid for sequential tests; `nil` for Bayesian results).
    public var pValue: Double?
    /// Standard error of ``upliftAbs``.
    public var standardError: Double?
    /// Delta-method standard error of ``upliftRel``.
    public var relativeStandardError: Double?
    /// Degrees of freedom of the t reference distribution, when one is used.
    public var degreesOfFreedom: Double?
    /// Bayesian: P(treatment beats control).
    public var chanceToWin: Double?
    /// Bayesian: E[max(0, control − treatment)], the expected cost of shipping treatment.
    public var expectedLoss: Double?
    /// True when the data cannot support the full comparison; ``reason`` says why.
    public var insufficientData: Bool
    public var reason: String?

    public init(
        controlMean: Double, treatmentMean: Double, upliftAbs: Double? = nil, upliftRel: Double? = nil,
        ciLow: Double? = nil, ciHigh: Double? = nil, relCiLow: Double? = nil, relCiHigh: Double? = nil,
        pValue: Double? = nil, standardError: Double? = nil, relativeStandardError: Double? = nil, degreesOfFreedom: Double? = nil,
        chanceToWin: Double? = nil, expectedLoss: Double? = nil, insufficientData: Bool = false,
        reason: String? = nil
    ) {
        self.controlMean = controlMean
        self.treatmentMean = treatmentMean
        self.upliftAbs = upliftAbs
        self.upliftRel = upliftRel
        self.ciLow = ciLow
        self.ciHigh = ciHigh
        self.relCiLow = relCiLow
        self.relCiHigh = relCiHigh
        self.pValue = pValue
        self.standardError = standardError
        self.relativeStandardError = relativeStandardError
        self.degreesOfFreedom = degreesOfFreedom
        self.chanceToWin = chanceToWin
        self.expectedLoss = expectedLoss
        self.insufficientData = insufficientData
        self.reason = reason
    }

    /// Whether the interval excludes zero (the result is significant at the chosen α).
    public var isSignificant: Bool {
        guard !insufficientData else { return false }
        if let low = ciLow, low > 0 { return true }
        if let high = ciHigh, high < 0 { return true }
        return false
    }

    enum CodingKeys: String, CodingKey {
        case controlMean = "control_mean"
        case treatmentMean = "treatment_mean"
        case upliftAbs = "uplift_abs"
        case upliftRel = "uplift_rel"
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case relCiLow = "rel_ci_low"
        case relCiHigh = "rel_ci_high"
        case pValue = "p_value"
        case standardError = "std_error"
        case relativeStandardError = "rel_std_error"
        case degreesOfFreedom = "df"
        case chanceToWin = "chance_to_win"
        case expectedLoss = "expected_loss"
        case insufficientData = "insufficient_data"
        case reason
    }

    /// Encodes every key, with `null` for absent values, so clients always see the same shape.
    /// The Bayesian fields appear only on Bayesian results.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(controlMean, forKey: .controlMean)
        try c.encode(treatmentMean, forKey: .treatmentMean)
        try c.encode(upliftAbs, forKey: .upliftAbs)
        try c.encode(upliftRel, forKey: .upliftRel)
        try c.encode(ciLow, forKey: .ciLow)
        try c.encode(ciHigh, forKey: .ciHigh)
        try c.encode(relCiLow, forKey: .relCiLow)
        try c.encode(relCiHigh, forKey: .relCiHigh)
        try c.encode(pValue, forKey: .pValue)
        try c.encode(standardError, forKey: .standardError)
        try c.encode(relativeStandardError, forKey: .relativeStandardError)
        try c.encode(degreesOfFreedom, forKey: .degreesOfFreedom)
        if chanceToWin != nil || expectedLoss != nil {
            try c.encode(chanceToWin, forKey: .chanceToWin)
            try c.encode(expectedLoss, forKey: .expectedLoss)
        }
        try c.encode(insufficientData, forKey: .insufficientData)
        try c.encode(reason, forKey: .reason)
    }

    /// Replaces every non-finite number by `nil`; a last guard so no NaN or infinity leaves the
    /// engine.
    mutating func sanitize() {
        @inline(__always) func clean(_ x: inout Double?) {
            if let value = x, !value.isFinite { x = nil }
        }
        if !controlMean.isFinite { controlMean = 0 }
        if !treatmentMean.isFinite { treatmentMean = 0 }
        clean(&upliftAbs)
        clean(&upliftRel)
        clean(&ciLow)
        clean(&ciHigh)
        clean(&relCiLow)
        clean(&relCiHigh)
        clean(&pValue)
        if let p = pValue { pValue = min(max(p, 0), 1) }
        clean(&standardError)
        clean(&relativeStandardError)
        clean(&degreesOfFreedom)
        clean(&chanceToWin)
        clean(&expectedLoss)
    }

    /// A sanitized copy.
    func sanitized() -> Comparison {
        var copy = self
        copy.sanitize()
        return copy
    }
}

/// The reference distribution of a test statistic.
enum ReferenceDistribution: Sendable {
    case normal
    case studentT(degreesOfFreedom: Double)

    /// P(Z > z).
    func sf(_ z: Double) -> Double {
        switch self {
        case .normal: Normal.sf(z)
        case .studentT(let df): StudentT.sf(z, degreesOfFreedom: df)
        }
    }

    /// The upper quantile: P(Z > q) = p.
    func upperQuantile(_ p: Double) -> Double {
        switch self {
        case .normal: -Normal.quantile(p)
        case .studentT(let df): -StudentT.quantile(p, degreesOfFreedom: df)
        }
    }

    var degreesOfFreedom: Double? {
        if case .studentT(let df) = self { return df }
        return nil
    }
}

/// Intervals and p-values shared by every frequentist comparison.
enum Inference {
    /// The interval estimate ± q·se for the alternative, with q the upper α/2 (two-sided) or α
    /// (one-sided) quantile. `nil` marks an unbounded side.
    static func interval(
        estimate: Double, standardError se: Double, critical q: Double, alternative: Alternative
    ) -> (low: Double?, high: Double?) {
        let width = q * se
        switch alternative {
        case .twoSided: return (estimate - width, estimate + width)
        case .greater: return (estimate - width, nil)
        case .less: return (nil, estimate + width)
        }
    }

    /// The critical value for the options' alternative and α.
    static func critical(_ options: TestOptions, distribution: ReferenceDistribution) -> Double {
        switch distribution {
        case .normal:
            return options.normalCritical
        case .studentT(let df):
            return StudentT.upperTailMagnitude(options.tail, df, normalQuantile: options.normalCritical)
        }
    }

    /// The p-value of statistic z for the alternative.
    static func pValue(_ z: Double, alternative: Alternative, distribution: ReferenceDistribution) -> Double {
        switch alternative {
        case .twoSided: return min(1, 2 * distribution.sf(abs(z)))
        case .greater: return distribution.sf(z)
        case .less: return distribution.sf(-z)
        }
    }

    /// Fills the absolute and relative intervals and the p-value of a comparison.
    ///
    /// - Parameters:
    ///   - z: the test statistic (for proportions, the pooled z; otherwise estimate / se).
    ///   - relativeStandardError: the delta-method standard error of the relative lift.
    static func complete(
        _ result: inout Comparison, estimate: Double, standardError se: Double, z: Double,
        relativeStandardError: Double?, options: TestOptions, distribution: ReferenceDistribution
    ) {
        let q = critical(options, distribution: distribution)
        result.upliftAbs = estimate
        result.standardError = se
        result.degreesOfFreedom = distribution.degreesOfFreedom
        (result.ciLow, result.ciHigh) = interval(
            estimate: estimate, standardError: se, critical: q, alternative: options.alternative)
        if let rel = result.upliftRel, let relSE = relativeStandardError {
            result.relativeStandardError = relSE
            (result.relCiLow, result.relCiHigh) = interval(
                estimate: rel, standardError: relSE, critical: q, alternative: options.alternative)
        }
        result.pValue = pValue(z, alternative: options.alternative, distribution: distribution)
    }

    /// The relative lift (m_t − m_c)/|m_c|, for every comparison in the module.
    ///
    /// Dividing by |m_c| keeps the sign of the absolute lift: with a negative control mean
    /// (profit, a net balance) control −10 and treatment −5 is +50%, not −50%, and the interval,
    /// its significance and a win or a loss follow. For m_c > 0 it is the usual (m_t − m_c)/m_c.
    /// GrowthBook's gbstats divides by |m_c| too (`frequentist_diff`, growthbook/growthbook PR
    /// #6658), with the same variance (``relativeVariance(controlMean:treatmentMean:controlVariance:treatmentVariance:)``,
    /// even in m_c) and the interval estimate ± q·se. The caller handles m_c = 0.
    static func relativeLift(_ estimate: Double, controlMean mc: Double) -> Double {
        estimate / abs(mc)
    }

    /// The delta-method variance of the relative lift (m_t − m_c)/|m_c| given the variances of
    /// the two means: v_t/m_c² + m_t²·v_c/m_c⁴ (the same for m_c and −m_c).
    ///
    /// Reference: A. Deng, U. Knoblich, J. Lu, *Applying the Delta Method in Metric Analytics*
    /// (KDD 2018), §3.3; gbstats `frequentist_variance(relative=True)`.
    static func relativeVariance(
        controlMean mc: Double, treatmentMean mt: Double, controlVariance vc: Double, treatmentVariance vt: Double
    ) -> Double {
        let mc2 = mc * mc
        return vt / mc2 + mt * mt * vc / (mc2 * mc2)
    }
}
