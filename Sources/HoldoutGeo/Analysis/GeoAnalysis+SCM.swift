/// The result of a synthetic control analysis: the shared ``GeoEstimate``, the donor weights
/// and the conformal test's settings.
///
/// Encoded flat: the ``GeoEstimate`` keys and `weights[{geo, weight}], ridge, permutations,
/// seed, pre_rmse, daily_effect`.
public struct SCMResult: Sendable, Hashable, Codable {
    /// A control geo's weight in the synthetic control.
    public struct DonorWeight: Sendable, Hashable, Codable {
        public var geo: String
        public var weight: Double
    }

    public var estimate: GeoEstimate
    /// Donor weights (on donors normalized to their pre-period mean; see docs/geo.md), largest first.
    public var weights: [DonorWeight]
    /// λ of the ridge augmentation, when used.
    public var ridge: Double?
    public var permutations: Int
    public var seed: UInt64
    /// Root mean squared pre-period error of the fit, in response units.
    public var preRMSE: Double
    /// incremental / T, the constant daily effect the conformal test is about.
    public var dailyEffect: Double

    enum CodingKeys: String, CodingKey {
        case weights, ridge, permutations, seed
        case preRMSE = "pre_rmse"
        case dailyEffect = "daily_effect"
    }

    public init(
        estimate: GeoEstimate, weights: [DonorWeight], ridge: Double?, permutations: Int, seed: UInt64, preRMSE: Double, dailyEffect: Double
    ) {
        self.estimate = estimate
        self.weights = weights
        self.ridge = ridge
        self.permutations = permutations
        self.seed = seed
        self.preRMSE = preRMSE
        self.dailyEffect = dailyEffect
    }

    public init(from decoder: any Decoder) throws {
        estimate = try GeoEstimate(from: decoder)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        weights = try c.decode([DonorWeight].self, forKey: .weights)
        ridge = try c.decodeIfPresent(Double.self, forKey: .ridge)
        permutations = try c.decode(Int.self, forKey: .permutations)
        seed = try c.decode(UInt64.self, forKey: .seed)
        preRMSE = try c.decode(Double.self, forKey: .preRMSE)
        dailyEffect = try c.decode(Double.self, forKey: .dailyEffect)
    }

    public func encode(to encoder: any Encoder) throws {
        try estimate.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(weights, forKey: .weights)
        try c.encode(ridge, forKey: .ridge)
        try c.encode(permutations, forKey: .permutations)
        try c.encode(seed, forKey: .seed)
        try c.encode(preRMSE, forKey: .preRMSE)
        try c.encode(dailyEffect, forKey: .dailyEffect)
    }
}

extension GeoAnalysis {
    /// Synthetic control with a conformal (permutation-in-time) test.
    ///
    /// The treated series is the treatment group's daily sum; the donors are the control geos.
    /// Each series is divided by its pre-period mean, and donor weights w ≥ 0 with Σw = 1
    /// minimize the pre-period squared error (Abadie, Diamond & Hainmueller 2010); with `ridge`
    /// λ > 0 they are ridge-augmented as in augsynth (Ben-Michael, Feller & Rothstein 2021),
    /// which may make some negative. The counterfactual on the T analysed days is the weighted
    /// donors times the treated pre-period mean, and `incremental` = Σ(observed − counterfactual).
    ///
    /// Inference is Chernozhukov, Wüthrich & Zhu's (2021) conformal test of a constant daily
    /// effect θ: subtract θ from the treated series on the analysed days, refit the weights on
    /// all days, and compare S = Σ_analysed |u_t| (one-sided: Σ u_t, H₁ θ > θ₀) of the residuals
    /// with S over `permutations` random permutations of the days (seeded; the same
    /// permutations for every θ): p(θ) = (1 + #{S_π ≥ S}) / (1 + B). `p_value` is p(0); the
    /// interval is {Tθ : p(θ) > 1 − level}, found by doubling and bisection outward from θ̂ and
    /// from 0 when 0 is accepted, so 0 is inside the interval exactly when p_value > 1 − level.
    /// `std_error` is √T × the pre-period RMSE, a plug-in for orientation only: the interval and
    /// p-value do not use it. With cost in matched_markets' fixed-cost scenario (no cost in the
    /// pre-period or in control during the test) the iROAS and its interval are the response's
    /// divided by the treatment group's cost.
    ///
    /// References: A. Abadie, A. Diamond, J. Hainmueller, JASA 105 (2010); E. Ben-Michael,
    /// A. Feller, J. Rothstein, JASA 116 (2021); V. Chernozhukov, K. Wüthrich, Y. Zhu, JASA 116 (2021).
    ///
    /// - Throws: ``GeoError``: fewer than 2 donors with a positive pre-period mean, a treated
    ///   series with no pre-period response, permutations < 19, a test that accepts no effect
    ///   near the estimate, or an unbounded interval; otherwise as ``tbr(panel:assignment:periods:level:tails:)``.
    public static func scm(
        panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods, level: Double = 0.9, tails: Int = 2, ridge: Double? = nil,
        permutations: Int = 1000, seed: UInt64 = GeoDesign.defaultSeed
    ) throws(GeoError) -> SCMResult {
        try validate(level: level, tails: tails)
        guard permutations >= 19 else { throw GeoError(.invalidInput, "use at least 19 permutations (a p-value can then reach 0.05), got \(permutations)") }
        if let ridge { guard ridge.isFinite, ridge >= 0 else { throw GeoError(.invalidInput, "ridge must be ≥ 0, got \(ridge)") } }
        let groups = try assignment.resolve(in: panel)
        let days = try periods.offsets(in: panel)
        let (y, targetMean, donorGeos, donors) = try scmSeries(panel, groups, days)
        let all = days.pre.lowerBound..<days.analysed.upperBound
        let preCount = days.pre.count
        let total = all.count
        let preRows = Array(0..<preCount)
        let postRows = Array(preCount..<total)
        let t1 = Double(postRows.count)

        // Point estimate: weights on the pre-period.
        let normalized = y.map { $0 / targetMean }
        let model = SyntheticControl(donors: donors, rows: preRows, ridge: ridge)
        let w = model.weights(target: normalized).augmented
        var incremental = 0.0
        for t in postRows { incremental += y[t] - targetMean * model.predict(w, t) }
        var squares = 0.0
        for t in preRows {
            let e = y[t] - targetMean * model.predict(w, t)
            squares += e * e
        }
        let rmse = (squares / Double(preCount)).squareRoot()
        let standardError = t1.squareRoot() * rmse
        let thetaHat = incremental / t1

        // The conformal test, with one set of permutations for every θ.
        let test = ConformalTest(
            model: SyntheticControl(donors: donors, rows: Array(0..<total), ridge: ridge), preCount: preCount, tails: tails,
            draws: ConformalTest.draws(total: total, post: postRows.count, permutations: permutations, seed: seed))
        var warmStart: [Double]?
        func pValue(_ theta: Double) -> Double {
            var target = normalized
            for t in postRows { target[t] -= theta / targetMean }
            let (p, simplex) = test.pValue(target: target, start: warmStart)
            warmStart = simplex
            return p
        }
        let alpha = 1 - level
        func accepted(_ theta: Double) -> Bool { pValue(theta) > alpha }
        let pZero = pValue(0)
        let zeroAccepted = pZero > alpha
        let step = max(standardError / t1, 1e-9 * targetMean)
        var center = thetaHat
        if !accepted(center) {
            var found: Double?
            search: for k in 1...40 {
                for candidate in [thetaHat + Double(k) * step / 4, thetaHat - Double(k) * step / 4] where accepted(candidate) {
                    found = candidate
                    break search
                }
            }
            guard let found else {
                throw GeoError(.insufficientData, "SCM: the conformal test rejects every effect near the estimate at level \(level)")
            }
            center = found
        }
        /// The last accepted θ going in `direction` (±1) from the accepted anchor, before the first rejected one.
        func boundary(_ direction: Double) throws(GeoError) -> Double {
            var inside = center
            if zeroAccepted && (0 - center) * direction > 0 { inside = 0 }
            var outside: Double?
            var distance = step
            for _ in 0..<60 {
                let probe = inside + direction * distance
                if !accepted(probe) {
                    outside = probe
                    break
                }
                distance *= 2
            }
            guard var outside else { throw GeoError(.insufficientData, "SCM: the conformal interval is unbounded at level \(level)") }
            if !zeroAccepted && (0 - inside) * direction > 0 && (outside - 0) * direction > 0 { outside = 0 }
            for _ in 0..<50 {
                let middle = (inside + outside) / 2
                if middle == inside || middle == outside { break }
                if accepted(middle) { inside = middle } else { outside = middle }
            }
            return inside
        }
        let low = try boundary(-1)
        let high: Double? = tails == 2 ? try boundary(1) : nil
        let observed = postRows.reduce(0) { $0 + y[$1] }
        var estimate = GeoEstimate(
            incremental: incremental, ciLow: t1 * low, ciHigh: high.map { t1 * $0 }, stdError: standardError, pValue: pZero,
            lift: lift(incremental: incremental, observed: observed), level: level, tails: tails)
        estimate.addFixedCostIROAS(fixedIncrementalCost(panel, groups, days))
        let donorWeights = zip(donorGeos, w).map { SCMResult.DonorWeight(geo: panel.geos[$0], weight: $1) }
            .sorted { $0.weight > $1.weight || ($0.weight == $1.weight && GeoID($0.geo) < GeoID($1.geo)) }
        return SCMResult(
            estimate: estimate, weights: donorWeights, ridge: ridge, permutations: permutations, seed: seed, preRMSE: rmse, dailyEffect: thetaHat)
    }

    /// The treated series (the treatment group's daily sum over the pre-period and the analysed
    /// days), its pre-period mean, and the control geos with pre-period response as donors, each
    /// divided by its own pre-period mean.
    static func scmSeries(
        _ panel: GeoPanel, _ groups: GeoAssignment.Resolved, _ days: (pre: Range<Int>, analysed: Range<Int>, test: Range<Int>)
    ) throws(GeoError) -> (y: [Double], targetMean: Double, donorGeos: [Int], donors: [[Double]]) {
        let all = days.pre.lowerBound..<days.analysed.upperBound
        let preCount = days.pre.count
        let y = groupSeries(panel, geos: groups.treatment, days: all)
        let targetMean = y[0..<preCount].reduce(0, +) / Double(preCount)
        guard targetMean > 0 else { throw GeoError(.insufficientData, "SCM: the treatment group has no pre-period response") }
        var donorGeos: [Int] = []
        var donors: [[Double]] = []
        for g in groups.control {
            let series = groupSeries(panel, geos: [g], days: all)
            let mean = series[0..<preCount].reduce(0, +) / Double(preCount)
            if mean > 0 {
                donorGeos.append(g)
                donors.append(series.map { $0 / mean })
            }
        }
        guard donors.count >= 2 else { throw GeoError(.insufficientData, "SCM needs at least 2 control geos with pre-period response, has \(donors.count)") }
        return (y, targetMean, donorGeos, donors)
    }

    /// The ridge λ for ``scm(panel:assignment:periods:level:tails:ridge:permutations:seed:)``
    /// chosen from the pre-period as augsynth chooses it (Ben-Michael, Feller & Rothstein 2021,
    /// `cv_lambda`): on a grid of 21 values from the largest eigenvalue of the donors' pre-period
    /// Gram matrix down to 10⁻⁸ of it (log-spaced), each of the last h pre-period days (h = a third
    /// of the pre-period, 1…14) is predicted from weights fitted on the days before it; the
    /// chosen λ is the largest whose mean squared error is within one standard error of the
    /// smallest (augsynth's default `min_1se`).
    /// - Throws: ``GeoError`` as ``scm(panel:assignment:periods:level:tails:ridge:permutations:seed:)``,
    ///   and `insufficient_data` when the pre-period has fewer than 4 days.
    public static func crossValidatedRidge(panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods) throws(GeoError) -> Double {
        let cv = try ridgeCrossValidation(panel: panel, assignment: assignment, periods: periods)
        return cv.grid[cv.chosen]
    }

    /// ``crossValidatedRidge(panel:assignment:periods:)`` with its workings: the λ grid (largest
    /// first), each λ's mean squared error over the held-out days, the one-standard-error bound,
    /// and the index of the chosen λ.
    static func ridgeCrossValidation(
        panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods
    ) throws(GeoError) -> (grid: [Double], meanErrors: [Double], bound: Double, chosen: Int) {
        let groups = try assignment.resolve(in: panel)
        let days = try periods.offsets(in: panel)
        let preCount = days.pre.count
        guard preCount >= 4 else { throw GeoError(.insufficientData, "choosing the ridge λ needs at least 4 pre-period days, has \(preCount)") }
        let (y, targetMean, _, donors) = try scmSeries(panel, groups, days)
        let normalized = y.map { $0 / targetMean }
        let largest = SyntheticControl(donors: donors, rows: Array(0..<preCount), ridge: nil).lipschitz / 1.01
        guard largest > 0 else { return ([0], [0], 0, 0) }
        // 10^(−0.4): 20 steps of it span 10⁻⁸.
        let ratio = 0.398_107_170_553_497_25
        var grid = [largest]
        for _ in 1...20 { grid.append(grid[grid.count - 1] * ratio) }
        let holdout = max(1, min(14, preCount / 3))
        let folds = (preCount - holdout)..<preCount
        var errors: [[Double]] = []
        for lambda in grid {
            errors.append(
                folds.map { t in
                    let model = SyntheticControl(donors: donors, rows: Array(0..<t), ridge: lambda)
                    let e = normalized[t] - model.predict(model.weights(target: normalized).augmented, t)
                    return e * e
                })
        }
        let means = errors.map { $0.reduce(0, +) / Double($0.count) }
        let best = means.indices.min { means[$0] < means[$1] }!
        let count = Double(errors[best].count)
        let spread = count > 1 ? (errors[best].map { ($0 - means[best]) * ($0 - means[best]) }.reduce(0, +) / (count - 1)).squareRoot() : 0
        let bound = means[best] + spread / count.squareRoot()
        // The grid runs from large to small: the first within the bound is the largest.
        return (grid, means, bound, means.firstIndex { $0 <= bound }!)
    }

    /// Chernozhukov, Wüthrich & Zhu's conformal test as ``scm(panel:assignment:periods:level:tails:ridge:permutations:seed:)``
    /// runs it, shared with ``GeoPower/placeboSCM(panel:assignment:history:plan:permutations:seed:ridge:)``:
    /// the donors fitted on all days, the post-period days and seeded draws of as many days
    /// (they depend only on the seed and the day counts, so the windows of a placebo study share them).
    struct ConformalTest {
        let model: SyntheticControl
        let postRows: [Int]
        let allRows: [Int]
        let draws: [[Int]]
        let tails: Int

        init(model: SyntheticControl, preCount: Int, tails: Int, draws: [[Int]]) {
            let total = model.donors[0].count
            self.model = model
            self.postRows = Array(preCount..<total)
            self.allRows = Array(0..<total)
            self.draws = draws
            self.tails = tails
        }

        /// `permutations` seeded draws of `post` of `total` days (a partial Fisher–Yates shuffle each).
        static func draws(total: Int, post: Int, permutations: Int, seed: UInt64) -> [[Int]] {
            var generator = GeoRandom(seed: seed)
            var draws: [[Int]] = []
            draws.reserveCapacity(permutations)
            var indices = Array(0..<total)
            for _ in 0..<permutations {
                for k in 0..<post {
                    indices.swapAt(k, k + generator.nextIndex(total - k))
                }
                draws.append(Array(indices[0..<post]))
            }
            return draws
        }

        /// p = (1 + #{S_π ≥ S}) / (1 + B) for the normalized `target` (θ already subtracted from
        /// its post-period days), with the simplex weights of the fit (a warm start for the next θ).
        func pValue(target: [Double], start: [Double]?) -> (p: Double, simplex: [Double]) {
            let fitted = model.weights(target: target, start: start)
            let u = allRows.map { target[$0] - model.predict(fitted.augmented, $0) }
            func statistic(_ rows: [Int]) -> Double { tails == 2 ? rows.reduce(0) { $0 + abs(u[$1]) } : rows.reduce(0) { $0 + u[$1] } }
            let observed = statistic(postRows)
            let slack = 1e-12 * max(abs(observed), 1e-300)
            let exceed = draws.reduce(0) { $0 + (statistic($1) >= observed - slack ? 1 : 0) }
            return (Double(1 + exceed) / Double(1 + draws.count), fitted.simplex)
        }
    }

    /// The treatment group's cost over the analysed days when costs are zero in the pre-period
    /// and in control during the test (matched_markets' fixed-cost scenario), else `nil`.
    static func fixedIncrementalCost(
        _ panel: GeoPanel, _ groups: GeoAssignment.Resolved, _ days: (pre: Range<Int>, analysed: Range<Int>, test: Range<Int>)
    ) -> Double? {
        guard panel.hasCost else { return nil }
        let preCost = groupSeries(panel, geos: groups.control + groups.treatment, days: days.pre, cost: true).reduce(0, +)
        let controlTestCost = groupSeries(panel, geos: groups.control, days: days.test, cost: true).reduce(0, +)
        guard preCost == 0, controlTestCost == 0 else { return nil }
        return groupSeries(panel, geos: groups.treatment, days: days.analysed, cost: true).reduce(0, +)
    }
}
