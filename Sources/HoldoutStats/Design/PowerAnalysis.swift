/// Sample sizes and minimum detectable effects for two-sided tests, with unequal allocation
/// and an optional variance reduction (the 1 − R² that CUPED achieves).
///
/// For proportions, with p₁ the baseline, p₂ = p₁ + δ, treatment share s and
/// p̄ = (1 − s)p₁ + s·p₂:
///
///     N = (z_{1−α/2}·√(p̄(1 − p̄)(1/s + 1/(1 − s))) + z_{power}·√(p₁(1 − p₁)/(1 − s) + p₂(1 − p₂)/s))² / δ²
///
/// then N ← N·(1 − variance reduction), control = ⌈(1 − s)N⌉, treatment = ⌈sN⌉. At s = ½ this
/// is R's `power.prop.test` without continuity correction (Fleiss, *Statistical Methods for
/// Rates and Proportions*, 3rd ed., §4.2). For means with standard deviation σ:
/// N = (z_{1−α/2} + z_{power})²·σ²·(1/s + 1/(1 − s))/δ².
///
/// Power must exceed α/2 (see ``Design``); at or below it no sample size answers.
///
/// Seed 001's sample-size table (3,142 for 5% → 6% at 80% power) is not computed from any
/// formula; the correct total is 16,316 (see `docs/power.md`).
public enum PowerAnalysis {
    /// A planned sample size.
    public struct Plan: Sendable, Hashable, Codable {
        /// ⌈(1 − s)·N⌉ + ⌈s·N⌉.
        public var totalSampleSize: Int
        public var treatmentSize: Int
        public var controlSize: Int
        /// N before rounding up.
        public var exactTotal: Double
        /// The absolute effect the plan detects.
        public var mdeAbsolute: Double

        enum CodingKeys: String, CodingKey {
            case totalSampleSize = "total_sample_size"
            case treatmentSize = "treatment_size"
            case controlSize = "control_size"
            case exactTotal = "exact_total"
            case mdeAbsolute = "mde_abs"
        }

        /// The largest plan reported: beyond it (a vanishing mde, or an arm share next to 0 or 1)
        /// no experiment is feasible and the count would not fit an integer.
        static let maximumTotal = 1e15

        static func checked(exactTotal n: Double, treatmentShare s: Double, mdeAbsolute: Double) throws(StatsError) -> Plan {
            guard n.isFinite, n <= maximumTotal else {
                throw StatsError(
                    .noSolution,
                    "detecting \(mdeAbsolute) needs more than \(Int(maximumTotal)) units (\(n.isFinite ? "about \(n.rounded(.up))" : "infinitely many")); use a larger mde or a more balanced split",
                    field: "mde")
            }
            return Plan(exactTotal: n, treatmentShare: s, mdeAbsolute: mdeAbsolute)
        }

        init(exactTotal n: Double, treatmentShare s: Double, mdeAbsolute: Double) {
            // Guard against 1e-12-level rounding turning an exact integer into the next one.
            func ceilTolerant(_ x: Double) -> Int { Int((x * (1 - 1e-12)).rounded(.up)) }
            controlSize = ceilTolerant((1 - s) * n)
            treatmentSize = ceilTolerant(s * n)
            totalSampleSize = controlSize + treatmentSize
            exactTotal = n
            self.mdeAbsolute = mdeAbsolute
        }
    }

    /// The design parameters shared by every calculation.
    public struct Design: Sendable, Hashable {
        public var alpha: Double
        public var power: Double
        /// The share of units in treatment, s ∈ (0, 1).
        public var treatmentShare: Double
        /// The fraction of variance removed by covariates, in [0, 1).
        public var varianceReduction: Double

        public init(alpha: Double = 0.05, power: Double = 0.8, treatmentShare: Double = 0.5, varianceReduction: Double = 0) {
            self.alpha = alpha
            self.power = power
            self.treatmentShare = treatmentShare
            self.varianceReduction = varianceReduction
        }

        /// Checks every parameter.
        ///
        /// Power must exceed α/2. The formulas solve z_{1−α/2} + z_{power} = δ/SE (the far
        /// tail ignored), so at power = α/2 the two quantiles cancel and N = 0; below it the
        /// sum is negative and its square grows again (power 0.01 asks for more units than
        /// 0.02), and an MDE for a given N comes out ≤ 0. The power the formulas model (the
        /// near tail only) exceeds α/2 at every effect, so such a request has no answer.
        ///
        /// - Throws: ``StatsError`` naming the field (`alpha`, `power`, `treatment_rate`,
        ///   `variance_reduction`).
        func validate() throws(StatsError) {
            try PowerAnalysis.check(alpha, in: "alpha")
            try PowerAnalysis.check(power, in: "power")
            guard power > alpha / 2 else {
                throw StatsError(
                    .invalidInput,
                    "power must be greater than alpha/2 = \(alpha / 2) for a two-sided test, got \(power) (0.8 is usual)",
                    field: "power")
            }
            try PowerAnalysis.check(treatmentShare, in: "treatment_rate")
            guard varianceReduction.isFinite, varianceReduction >= 0, varianceReduction < 1 else {
                throw StatsError(
                    .invalidInput, "variance_reduction must be in [0, 1), got \(varianceReduction)",
                    field: "variance_reduction")
            }
        }

        var zAlpha: Double { -Normal.quantile(alpha / 2) }
        var zPower: Double { Normal.quantile(power) }
        var allocation: Double { 1 / treatmentShare + 1 / (1 - treatmentShare) }
    }

    static func check(_ value: Double, in field: String) throws(StatsError) {
        guard value.isFinite, value > 0, value < 1 else {
            throw StatsError(.invalidInput, "\(field) must be in (0, 1), got \(value)", field: field)
        }
    }

    // MARK: Proportions

    /// The sample size to detect a change of `mde` in a conversion rate.
    ///
    /// - Parameters:
    ///   - baseline: the control conversion rate p₁ ∈ (0, 1).
    ///   - mde: the effect; absolute (0.01 = one percentage point) unless `relative`.
    ///   - relative: read `mde` as a fraction of the baseline (0.1 = +10%).
    /// - Throws: ``StatsError`` when a parameter is out of range or p₁ + δ ∉ (0, 1).
    public static func proportionSampleSize(
        baseline: Double, mde: Double, relative: Bool = false, design: Design = Design()
    ) throws(StatsError) -> Plan {
        try design.validate()
        try check(baseline, in: "baseline_rate")
        let delta = relative ? mde * baseline : mde
        guard delta.isFinite, delta != 0 else {
            throw StatsError(.invalidInput, "mde must be a non-zero finite number, got \(mde)", field: "mde")
        }
        let p2 = baseline + delta
        guard p2 > 0, p2 < 1 else {
            throw StatsError(
                .invalidInput,
                "baseline + mde = \(p2) is not a rate in (0, 1); use a smaller mde", field: "mde")
        }
        let n = proportionTotal(p1: baseline, delta: delta, design: design)
        return try Plan.checked(exactTotal: n, treatmentShare: design.treatmentShare, mdeAbsolute: delta)
    }

    static func proportionTotal(p1: Double, delta: Double, design: Design) -> Double {
        let s = design.treatmentShare
        let p2 = p1 + delta
        let pBar = (1 - s) * p1 + s * p2
        let a = design.zAlpha * (pBar * (1 - pBar) * design.allocation).squareRoot()
        let b = design.zPower * (p1 * (1 - p1) / (1 - s) + p2 * (1 - p2) / s).squareRoot()
        return (a + b) * (a + b) / (delta * delta) * (1 - design.varianceReduction)
    }

    /// The smallest positive absolute lift detectable with `totalSampleSize` units.
    ///
    /// Solves N(δ) = total by bisection on δ ∈ (0, 1 − p₁) (N falls as δ grows), to 1e-15.
    /// - Throws: ``StatsError/Code/noSolution`` when even the largest possible lift needs more units.
    public static func proportionMDE(
        baseline: Double, totalSampleSize: Double, design: Design = Design()
    ) throws(StatsError) -> Double {
        try design.validate()
        try check(baseline, in: "baseline_rate")
        guard totalSampleSize.isFinite, totalSampleSize > 0 else {
            throw StatsError(.invalidInput, "sample size must be positive, got \(totalSampleSize)", field: "for_n")
        }
        var low = 0.0
        var high = 1 - baseline
        // N(δ) at the upper end may still exceed the budget.
        let upper = high * (1 - 1e-12)
        if proportionTotal(p1: baseline, delta: upper, design: design) > totalSampleSize {
            throw StatsError(
                .noSolution, "\(Int(totalSampleSize)) units cannot detect any lift from a baseline of \(baseline)",
                field: "for_n")
        }
        for _ in 0..<200 {
            let mid = (low + high) / 2
            if mid == low || mid == high { break }
            if proportionTotal(p1: baseline, delta: mid, design: design) > totalSampleSize { low = mid } else { high = mid }
        }
        return high
    }

    // MARK: Means

    /// The sample size to detect a change of `mde` in a mean with standard deviation `standardDeviation`.
    ///
    /// - Parameters:
    ///   - mde: absolute, or a fraction of `baselineMean` when `relative`.
    public static func meanSampleSize(
        standardDeviation sigma: Double, mde: Double, relative: Bool = false, baselineMean: Double? = nil,
        design: Design = Design()
    ) throws(StatsError) -> Plan {
        try design.validate()
        let delta = try meanDelta(mde: mde, relative: relative, baselineMean: baselineMean)
        guard sigma.isFinite, sigma > 0 else {
            throw StatsError(.invalidInput, "std_dev must be positive, got \(sigma)", field: "std_dev")
        }
        let z = design.zAlpha + design.zPower
        let n = z * z * sigma * sigma * design.allocation / (delta * delta) * (1 - design.varianceReduction)
        return try Plan.checked(exactTotal: n, treatmentShare: design.treatmentShare, mdeAbsolute: delta)
    }

    /// The absolute lift in a mean detectable with `totalSampleSize` units (closed form).
    public static func meanMDE(
        standardDeviation sigma: Double, totalSampleSize: Double, design: Design = Design()
    ) throws(StatsError) -> Double {
        try design.validate()
        guard sigma.isFinite, sigma > 0 else {
            throw StatsError(.invalidInput, "std_dev must be positive, got \(sigma)", field: "std_dev")
        }
        guard totalSampleSize.isFinite, totalSampleSize > 0 else {
            throw StatsError(.invalidInput, "sample size must be positive, got \(totalSampleSize)", field: "for_n")
        }
        let z = design.zAlpha + design.zPower
        return z * sigma * (design.allocation * (1 - design.varianceReduction) / totalSampleSize).squareRoot()
    }

    static func meanDelta(mde: Double, relative: Bool, baselineMean: Double?) throws(StatsError) -> Double {
        var delta = mde
        if relative {
            guard let mean = baselineMean, mean.isFinite, mean != 0 else {
                throw StatsError(.invalidInput, "a relative mde needs a non-zero baseline mean", field: "baseline_mean")
            }
            delta = mde * mean
        }
        guard delta.isFinite, delta != 0 else {
            throw StatsError(.invalidInput, "mde must be a non-zero finite number, got \(mde)", field: "mde")
        }
        return abs(delta)
    }
}
