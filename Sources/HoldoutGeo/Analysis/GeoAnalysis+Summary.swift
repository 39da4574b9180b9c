import HoldoutStats

/// Seed 000's naive holdout summary: the shared ``GeoEstimate`` plus the group means it compares.
///
/// Encoded flat with `naive: true`, `control_geos, treatment_geos, control_mean,
/// treatment_mean, df`.
public struct SummaryResult: Sendable, Hashable, Codable {
    public var estimate: GeoEstimate
    /// Always true: this comparison ignores the pre-period and geo size differences.
    public var naive: Bool
    public var controlGeos: Int
    public var treatmentGeos: Int
    /// Mean response per control geo over the analysed days.
    public var controlMean: Double
    public var treatmentMean: Double
    /// Welch–Satterthwaite degrees of freedom.
    public var df: Double

    enum CodingKeys: String, CodingKey {
        case naive
        case controlGeos = "control_geos"
        case treatmentGeos = "treatment_geos"
        case controlMean = "control_mean"
        case treatmentMean = "treatment_mean"
        case df
    }

    public init(estimate: GeoEstimate, controlGeos: Int, treatmentGeos: Int, controlMean: Double, treatmentMean: Double, df: Double) {
        self.estimate = estimate
        self.naive = true
        self.controlGeos = controlGeos
        self.treatmentGeos = treatmentGeos
        self.controlMean = controlMean
        self.treatmentMean = treatmentMean
        self.df = df
    }

    public init(from decoder: any Decoder) throws {
        estimate = try GeoEstimate(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        naive = try c.decode(Bool.self, forKey: .naive)
        controlGeos = try c.decode(Int.self, forKey: .controlGeos)
        treatmentGeos = try c.decode(Int.self, forKey: .treatmentGeos)
        controlMean = try c.decode(Double.self, forKey: .controlMean)
        treatmentMean = try c.decode(Double.self, forKey: .treatmentMean)
        df = try c.decode(Double.self, forKey: .df)
    }

    public func encode(to encoder: any Encoder) throws {
        try estimate.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(naive, forKey: .naive)
        try c.encode(controlGeos, forKey: .controlGeos)
        try c.encode(treatmentGeos, forKey: .treatmentGeos)
        try c.encode(controlMean, forKey: .controlMean)
        try c.encode(treatmentMean, forKey: .treatmentMean)
        try c.encode(df, forKey: .df)
    }
}

/// Difference in differences on the group-level daily series.
///
/// Encoded flat: the ``GeoEstimate`` keys and `daily_effect, pre_difference, test_difference, df`.
public struct DiDResult: Sendable, Hashable, Codable {
    public var estimate: GeoEstimate
    /// The estimated effect per analysed day: test_difference − pre_difference.
    public var dailyEffect: Double
    /// Mean of y_treatment,t − y_control,t over the pre-period.
    public var preDifference: Double
    /// Mean of y_treatment,t − y_control,t over the analysed days.
    public var testDifference: Double
    /// Welch–Satterthwaite degrees of freedom.
    public var df: Double

    enum CodingKeys: String, CodingKey {
        case dailyEffect = "daily_effect"
        case preDifference = "pre_difference"
        case testDifference = "test_difference"
        case df
    }

    public init(estimate: GeoEstimate, dailyEffect: Double, preDifference: Double, testDifference: Double, df: Double) {
        self.estimate = estimate
        self.dailyEffect = dailyEffect
        self.preDifference = preDifference
        self.testDifference = testDifference
        self.df = df
    }

    public init(from decoder: any Decoder) throws {
        estimate = try GeoEstimate(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        dailyEffect = try c.decode(Double.self, forKey: .dailyEffect)
        preDifference = try c.decode(Double.self, forKey: .preDifference)
        testDifference = try c.decode(Double.self, forKey: .testDifference)
        df = try c.decode(Double.self, forKey: .df)
    }

    public func encode(to encoder: any Encoder) throws {
        try estimate.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(dailyEffect, forKey: .dailyEffect)
        try c.encode(preDifference, forKey: .preDifference)
        try c.encode(testDifference, forKey: .testDifference)
        try c.encode(df, forKey: .df)
    }
}

extension GeoAnalysis {
    /// Seed 000's naive holdout summary, from geo totals.
    ///
    /// Seed 000 names `compute_holdout_summary` (lift and p-value from totals per geo and group)
    /// but does not give its formula; this is the plain reading, labelled `naive`: the total
    /// response of each geo over the analysed days, a Welch t-test of treatment vs control geo
    /// means (``HoldoutStats/WelchTest``), and
    ///
    ///     incremental = n_T·(ȳ_T − ȳ_C),  se = n_T·√(s²_T/n_T + s²_C/n_C),  lift = ȳ_T/ȳ_C − 1
    ///
    /// (so lift = incremental / (observed − incremental) as in every method). With cost in the
    /// fixed-cost scenario, `iroas` and its interval as in ``tbr(panel:assignment:periods:level:tails:)``. It ignores the
    /// pre-period, so differences in geo size between the groups show up as "lift"; prefer
    /// ``tbr(panel:assignment:periods:level:tails:)`` or ``did(panel:assignment:periods:level:tails:)``.
    ///
    /// - Throws: ``GeoError`` `insufficient_data` with fewer than 2 geos in a group or no
    ///   variation; otherwise as ``tbr(panel:assignment:periods:level:tails:)``.
    public static func summary(
        panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods, level: Double = 0.9, tails: Int = 2
    ) throws(GeoError) -> SummaryResult {
        try validate(level: level, tails: tails)
        let groups = try assignment.resolve(in: panel)
        let days = try periods.offsets(in: panel)
        let control = geoTotals(panel, geos: groups.control, days: days.analysed)
        let treatment = geoTotals(panel, geos: groups.treatment, days: days.analysed)
        let comparison = try welch(control: control, treatment: treatment, level: level, tails: tails, what: "summary: the geo totals")
        let nT = Double(treatment.count)
        let incremental = nT * comparison.estimate
        var estimate = GeoEstimate(
            incremental: incremental, ciLow: nT * comparison.low, ciHigh: comparison.high.map { nT * $0 }, stdError: nT * comparison.se,
            pValue: comparison.p, lift: lift(incremental: incremental, observed: treatment.reduce(0, +)), level: level, tails: tails)
        estimate.addFixedCostIROAS(fixedIncrementalCost(panel, groups, days))
        return SummaryResult(
            estimate: estimate, controlGeos: control.count, treatmentGeos: treatment.count, controlMean: comparison.controlMean,
            treatmentMean: comparison.treatmentMean, df: comparison.df)
    }

    /// Difference in differences on the group-level daily series.
    ///
    /// With d_t = y_treatment,t − y_control,t (daily sums over each group's geos), the daily
    /// effect is mean(d over the analysed days) − mean(d over the pre-period), and the
    /// cumulative incremental response is T times it for T analysed days. Its standard error
    /// is T·√(s²_test/T + s²_pre/n_pre) with Welch–Satterthwaite degrees of freedom (the
    /// regression d_t = a + b·1[t analysed] with a variance per period), via
    /// ``HoldoutStats/WelchTest``. With cost in the fixed-cost scenario, `iroas` and its
    /// interval as in ``tbr(panel:assignment:periods:level:tails:)``. Assumes parallel trends of the group totals and independent
    /// days (autocorrelation makes the interval too narrow).
    ///
    /// Reference: e.g. J. D. Angrist and J.-S. Pischke, *Mostly Harmless Econometrics* (2009), §5.2.
    ///
    /// - Throws: ``GeoError`` `insufficient_data` with fewer than 2 pre or analysed days or no
    ///   variation in d; otherwise as ``tbr(panel:assignment:periods:level:tails:)``.
    public static func did(
        panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods, level: Double = 0.9, tails: Int = 2
    ) throws(GeoError) -> DiDResult {
        try validate(level: level, tails: tails)
        let groups = try assignment.resolve(in: panel)
        let days = try periods.offsets(in: panel)
        func differences(_ range: Range<Int>) -> (d: [Double], treatment: [Double]) {
            let x = groupSeries(panel, geos: groups.control, days: range)
            let y = groupSeries(panel, geos: groups.treatment, days: range)
            return (zip(y, x).map { $0 - $1 }, y)
        }
        let pre = differences(days.pre).d
        let (test, observed) = differences(days.analysed)
        let comparison = try welch(control: pre, treatment: test, level: level, tails: tails, what: "DiD: the daily differences")
        let t = Double(test.count)
        let incremental = t * comparison.estimate
        var estimate = GeoEstimate(
            incremental: incremental, ciLow: t * comparison.low, ciHigh: comparison.high.map { t * $0 }, stdError: t * comparison.se,
            pValue: comparison.p, lift: lift(incremental: incremental, observed: observed.reduce(0, +)), level: level, tails: tails)
        estimate.addFixedCostIROAS(fixedIncrementalCost(panel, groups, days))
        return DiDResult(
            estimate: estimate, dailyEffect: comparison.estimate, preDifference: comparison.controlMean, testDifference: comparison.treatmentMean,
            df: comparison.df)
    }

    /// Welch's test of `treatment` vs `control` values at `level` and `tails`.
    static func welch(
        control: [Double], treatment: [Double], level: Double, tails: Int, what: String
    ) throws(GeoError) -> (estimate: Double, se: Double, low: Double, high: Double?, p: Double, df: Double, controlMean: Double, treatmentMean: Double) {
        var c = MeanStatistic()
        for v in control { c.add(v) }
        var t = MeanStatistic()
        for v in treatment { t.add(v) }
        let result: Comparison
        do {
            result = try WelchTest.compare(control: c, treatment: t, options: TestOptions(alpha: 1 - level, alternative: tails == 2 ? .twoSided : .greater))
        } catch {
            throw GeoError(.invalidInput, "\(what): \(error.message)")
        }
        guard let estimate = result.upliftAbs, let se = result.standardError, se > 0, let df = result.degreesOfFreedom, let p = result.pValue,
            let low = result.ciLow
        else {
            throw GeoError(.insufficientData, "\(what) cannot be compared: \(result.reason ?? "no variance") (control n = \(c.n), treatment n = \(t.n))")
        }
        return (estimate, se, low, result.ciHigh, p, df, c.mean, t.mean)
    }
}
