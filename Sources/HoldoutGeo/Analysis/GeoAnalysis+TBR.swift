/// The result of a Time-Based Regression: the shared ``GeoEstimate`` plus the pre-period fit.
///
/// Encoded flat: the ``GeoEstimate`` keys and `intercept, slope, sigma, df, pre_days,
/// analysed_days` (and `incremental_cost` with cost).
public struct TBRResult: Sendable, Hashable, Codable {
    public var estimate: GeoEstimate
    /// α̂ of the pre-period fit y_treatment = α + β·x_control.
    public var intercept: Double
    /// β̂.
    public var slope: Double
    /// σ̂, the residual standard deviation of the pre-period fit.
    public var sigma: Double
    /// Residual degrees of freedom n_pre − 2.
    public var df: Int
    public var preDays: Int
    /// T, the test days plus cooldown days.
    public var analysedDays: Int
    /// Incremental cost, when the panel has cost: the treatment group's cost over the analysed
    /// days in the fixed-cost scenario, TBR's estimate on cost over the test days otherwise.
    public var incrementalCost: Double?

    enum CodingKeys: String, CodingKey {
        case intercept, slope, sigma, df
        case preDays = "pre_days"
        case analysedDays = "analysed_days"
        case incrementalCost = "incremental_cost"
    }

    public init(
        estimate: GeoEstimate, intercept: Double, slope: Double, sigma: Double, df: Int, preDays: Int, analysedDays: Int, incrementalCost: Double?
    ) {
        self.estimate = estimate
        self.intercept = intercept
        self.slope = slope
        self.sigma = sigma
        self.df = df
        self.preDays = preDays
        self.analysedDays = analysedDays
        self.incrementalCost = incrementalCost
    }

    public init(from decoder: any Decoder) throws {
        estimate = try GeoEstimate(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        intercept = try c.decode(Double.self, forKey: .intercept)
        slope = try c.decode(Double.self, forKey: .slope)
        sigma = try c.decode(Double.self, forKey: .sigma)
        df = try c.decode(Int.self, forKey: .df)
        preDays = try c.decode(Int.self, forKey: .preDays)
        analysedDays = try c.decode(Int.self, forKey: .analysedDays)
        incrementalCost = try c.decodeIfPresent(Double.self, forKey: .incrementalCost)
    }

    public func encode(to encoder: any Encoder) throws {
        try estimate.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(intercept, forKey: .intercept)
        try c.encode(slope, forKey: .slope)
        try c.encode(sigma, forKey: .sigma)
        try c.encode(df, forKey: .df)
        try c.encode(preDays, forKey: .preDays)
        try c.encode(analysedDays, forKey: .analysedDays)
        try c.encodeIfPresent(incrementalCost, forKey: .incrementalCost)
    }
}

/// Ordinary least squares of y on (1, x): the fit TBR learns on the pre-period.
struct SimpleRegression {
    var intercept: Double
    var slope: Double
    /// σ̂² = Σ residual² / (n − 2).
    var residualVariance: Double
    var n: Int
    var meanX: Double
    /// Σ (x − x̄)².
    var sxx: Double

    /// Fits by centred sums (the closed form of statsmodels' OLS for one regressor).
    /// - Throws: ``GeoError`` `insufficient_data` for n < 3, constant x, or a perfect fit.
    init(x: [Double], y: [Double], what: String) throws(GeoError) {
        let n = x.count
        guard n >= 3 else {
            throw GeoError(.insufficientData, "\(what): the pre-period needs at least 3 days for a regression with a residual variance, has \(n)")
        }
        let meanX = x.reduce(0, +) / Double(n)
        let meanY = y.reduce(0, +) / Double(n)
        var sxx = 0.0
        var sxy = 0.0
        for i in 0..<n {
            let dx = x[i] - meanX
            sxx += dx * dx
            sxy += dx * (y[i] - meanY)
        }
        guard sxx > 0 else { throw GeoError(.insufficientData, "\(what): the control series is constant over the pre-period, so no slope can be fitted") }
        let slope = sxy / sxx
        let intercept = meanY - slope * meanX
        var ssr = 0.0
        for i in 0..<n {
            let e = y[i] - intercept - slope * x[i]
            ssr += e * e
        }
        self.intercept = intercept
        self.slope = slope
        self.residualVariance = ssr / Double(n - 2)
        self.n = n
        self.meanX = meanX
        self.sxx = sxx
    }

    /// [1, m]·V·[1, m]ᵀ with V = σ̂²(XᵀX)⁻¹: σ̂²·(1/n + (m − x̄)²/Sxx).
    func predictionVariance(atMean m: Double) -> Double {
        residualVariance * (1 / Double(n) + (m - meanX) * (m - meanX) / sxx)
    }
}

extension GeoAnalysis {
    /// Time-Based Regression (TBR).
    ///
    /// Sums the response per group and day, fits y_treatment,t = α + β·x_control,t by OLS on
    /// the pre-period, and predicts the counterfactual α + β·x_control,t on the T analysed days
    /// (test, plus cooldown when `periods` has one). The cumulative effect
    /// Δ = Σ_t (y_t − α̂ − β̂·x_t) has variance
    ///
    ///     Var(Δ) = T²·[1, x̄_T]·V·[1, x̄_T]ᵀ + T·σ̂²
    ///
    /// with V the OLS covariance of (α̂, β̂), σ̂² the residual variance and x̄_T the mean control
    /// response over the analysed days; Δ/√Var(Δ) is Student t with n_pre − 2 degrees of
    /// freedom. This is matched_markets' `TBR.summary(report='last')`: `incremental` is its
    /// `estimate`, `ci_low`/`ci_high` its `lower`/`upper`, `std_error` its `scale`, and the
    /// one-sided `p_value` is 1 − its `probability` (the test fixtures check all of them).
    ///
    /// With cost, `incremental_cost` is the TBR estimate on cost and `iroas` = incremental /
    /// incremental_cost. When costs are zero in the pre-period and in control during the test
    /// (matched_markets' "fixed cost" scenario) the incremental cost is known exactly, and the
    /// iROAS interval is the response interval divided by it (matched_markets'
    /// `TBRiROAS` with `rescale`). Otherwise `incremental_cost` is TBR's estimate on cost over the
    /// test days (not the cooldown), as matched_markets' variable-cost scenario (control spends,
    /// or cost before the test): the iROAS interval is then the quantiles, at (1 − level)/tails
    /// and 1 − (1 − level)/tails, of Δ_response / Δ_cost with the two independent t
    /// distributions TBR gives them (n_pre − 2 df) — what matched_markets' `TBRiROAS` estimates by
    /// simulating both, computed here by quadrature (``StudentTRatio``). `iroas` stays
    /// incremental / incremental_cost (matched_markets reports the mean of its simulated ratios,
    /// which has no finite expectation when the cost's distribution reaches 0).
    ///
    /// Assumes the pre-period relation holds through the test and residuals are independent
    /// (no autocorrelation). O(G·D) for G geos and D days.
    ///
    /// Reference: J. Kerman, P. Wang, J. Vaver, *Estimating Ad Effectiveness Using Geo
    /// Experiments in a Time-Based Regression Framework*, Google (2017).
    ///
    /// - Throws: ``GeoError``: bad level/tails, periods outside the panel, unknown geos, fewer
    ///   than 3 pre-period days, a constant control series or a perfect pre-period fit.
    public static func tbr(
        panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods, level: Double = 0.9, tails: Int = 2
    ) throws(GeoError) -> TBRResult {
        try validate(level: level, tails: tails)
        let groups = try assignment.resolve(in: panel)
        let days = try periods.offsets(in: panel)
        let fit = try fitTBR(panel, groups, days.pre, cost: false)
        let x = groupSeries(panel, geos: groups.control, days: days.analysed)
        let y = groupSeries(panel, geos: groups.treatment, days: days.analysed)
        let (incremental, se) = cumulativeEffect(fit, x: x, y: y)
        guard se > 0 else {
            throw GeoError(
                .insufficientData, "TBR: the treatment series is an exact linear function of control in the pre-period, so the effect has no variance")
        }
        let ci = interval(estimate: incremental, standardError: se, df: Double(fit.n - 2), level: level, tails: tails)
        let observed = y.reduce(0, +)
        var estimate = GeoEstimate(
            incremental: incremental, ciLow: ci.low, ciHigh: ci.high, stdError: se, pValue: ci.p, lift: lift(incremental: incremental, observed: observed),
            level: level, tails: tails)
        var incrementalCost: Double?
        if let cost = fixedIncrementalCost(panel, groups, days) {
            incrementalCost = cost
            estimate.addFixedCostIROAS(cost)
        } else if panel.hasCost {
            // As matched_markets: the cost effect over the test days only (costs are caused
            // during the test), the response effect over the analysed days.
            let costFit = try fitTBR(panel, groups, days.pre, cost: true)
            let costX = groupSeries(panel, geos: groups.control, days: days.test, cost: true)
            let treatmentCost = groupSeries(panel, geos: groups.treatment, days: days.test, cost: true)
            let (cost, costError) = cumulativeEffect(costFit, x: costX, y: treatmentCost)
            incrementalCost = cost
            if cost > 0 { estimate.iroas = incremental / cost }
            estimate.addVariableCostIROAS(
                response: (incremental, se), cost: (cost, costError), df: Double(fit.n - 2), level: level, tails: tails)
        }
        return TBRResult(
            estimate: estimate, intercept: fit.intercept, slope: fit.slope, sigma: fit.residualVariance.squareRoot(), df: fit.n - 2,
            preDays: days.pre.count, analysedDays: days.analysed.count, incrementalCost: incrementalCost)
    }

    static func fitTBR(_ panel: GeoPanel, _ groups: GeoAssignment.Resolved, _ pre: Range<Int>, cost: Bool) throws(GeoError) -> SimpleRegression {
        let x = groupSeries(panel, geos: groups.control, days: pre, cost: cost)
        let y = groupSeries(panel, geos: groups.treatment, days: pre, cost: cost)
        return try SimpleRegression(x: x, y: y, what: cost ? "TBR on cost" : "TBR")
    }

    /// Σ(y − α̂ − β̂x) and √(T²·[1, x̄_T]V[1, x̄_T]ᵀ + T·σ̂²).
    static func cumulativeEffect(_ fit: SimpleRegression, x: [Double], y: [Double]) -> (effect: Double, standardError: Double) {
        let t = Double(x.count)
        var effect = 0.0
        var sumX = 0.0
        for i in 0..<x.count {
            effect += y[i] - fit.intercept - fit.slope * x[i]
            sumX += x[i]
        }
        let variance = t * t * fit.predictionVariance(atMean: sumX / t) + t * fit.residualVariance
        return (effect, variance.squareRoot())
    }
}
