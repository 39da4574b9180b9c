/// Power of a geo experiment by placebo tests on history (TBR, or synthetic control with
/// ``placeboSCM(panel:assignment:history:plan:permutations:seed:ridge:)``).
///
/// Slides a window of `preDays` + `testDays` days over the history; in each window it fits TBR
/// on the first `preDays` days, multiplies the treatment group's response on the next `testDays`
/// days by (1 + lift) for each lift on the grid, and counts the windows where TBR's test at
/// `level` and `tails` rejects "no effect". The power at a lift is that share of windows; the
/// share at lift 0 is the false-positive rate (it should be near 1 − level if TBR's assumptions
/// hold on this panel); the minimum detectable lift is the smallest lift with power ≥ 80%,
/// interpolated linearly between grid points.
///
/// Windows overlap, so they are not independent: with W windows the power is an average over
/// the panel's own history, not a binomial proportion with W draws. O(W·(P + T)·L) after the
/// group series are summed once.
///
/// Reference: the placebo (pseudo-experiment) approach to geo design as in Kerman, Wang & Vaver
/// (2017) §5 and GeoLift's power analysis (facebookincubator/GeoLift).
public enum GeoPower {
    /// What to simulate.
    public struct Plan: Sendable, Hashable, Codable {
        public var preDays: Int
        public var testDays: Int
        public var level: Double
        public var tails: Int
        /// Relative lifts to inject, ascending.
        public var lifts: [Double]

        public init(preDays: Int, testDays: Int, level: Double = 0.9, tails: Int = 2, lifts: [Double] = (1...50).map { Double($0) / 100 }) {
            self.preDays = preDays
            self.testDays = testDays
            self.level = level
            self.tails = tails
            self.lifts = lifts
        }

        enum CodingKeys: String, CodingKey {
            case preDays = "pre_days"
            case testDays = "test_days"
            case level, tails, lifts
        }
    }

    /// Power at one lift.
    public struct Point: Sendable, Hashable, Codable {
        public var lift: Double
        public var power: Double
    }

    public struct Result: Sendable, Hashable, Codable {
        public var plan: Plan
        /// Number of placebo windows that could be fitted.
        public var windows: Int
        /// Share of windows significant with nothing injected.
        public var falsePositiveRate: Double
        public var points: [Point]
        /// Smallest lift with 80% power, or `nil` when the grid never reaches it.
        public var minimumDetectableLift: Double?

        enum CodingKeys: String, CodingKey {
            case plan, windows
            case falsePositiveRate = "false_positive_rate"
            case points
            case minimumDetectableLift = "minimum_detectable_lift"
        }
    }

    /// The target power of the minimum detectable lift.
    public static let targetPower = 0.8

    /// Placebo power of TBR over `history` (see ``GeoPower``).
    /// - Throws: ``GeoError``: unknown geos, history outside the panel, fewer than 3 pre days or
    ///   1 test day, a history shorter than one window, lifts not ascending or negative, bad
    ///   level or tails.
    public static func placebo(panel: GeoPanel, assignment: GeoAssignment, history: ClosedRange<GeoDay>, plan: Plan) throws(GeoError) -> Result {
        try validate(plan)
        let groups = try assignment.resolve(in: panel)
        let days = try panel.offsets(history, name: "history")
        let x = GeoAnalysis.groupSeries(panel, geos: groups.control, days: days)
        let y = GeoAnalysis.groupSeries(panel, geos: groups.treatment, days: days)
        return try placebo(control: x, treatment: y, plan: plan)
    }

    /// Placebo power of TBR on the two groups' daily series (sums over their geos, one value per
    /// day of the history, oldest first), as ``placebo(panel:assignment:history:plan:)`` after it
    /// has summed them: the geo design step reads the two series straight from the store.
    /// - Throws: ``GeoError`` as ``placebo(panel:assignment:history:plan:)``; `invalid_input` when
    ///   the series differ in length or hold a non-finite value.
    public static func placebo(control x: [Double], treatment y: [Double], plan: Plan) throws(GeoError) -> Result {
        try validate(plan)
        guard x.count == y.count, x.allSatisfy(\.isFinite), y.allSatisfy(\.isFinite) else {
            throw GeoError(.invalidInput, "the control and treatment series must be finite and of one length (got \(x.count) and \(y.count) days)")
        }
        let days = x.indices
        let span = plan.preDays + plan.testDays
        guard days.count >= span else {
            throw GeoError(.insufficientData, "the history has \(days.count) days, fewer than one window of \(plan.preDays) + \(plan.testDays)")
        }
        let windows = days.count - span + 1
        let alpha = 1 - plan.level
        var valid = 0
        var rejectionsAtZero = 0
        var rejections = [Int](repeating: 0, count: plan.lifts.count)
        for start in 0..<windows {
            let pre = start..<(start + plan.preDays)
            let test = pre.upperBound..<(pre.upperBound + plan.testDays)
            guard let fit = try? SimpleRegression(x: Array(x[pre]), y: Array(y[pre]), what: "power") else { continue }
            let (baseEffect, se) = GeoAnalysis.cumulativeEffect(fit, x: Array(x[test]), y: Array(y[test]))
            guard se > 0 else { continue }
            valid += 1
            let observed = y[test].reduce(0, +)
            func rejects(_ effect: Double) -> Bool {
                GeoAnalysis.interval(estimate: effect, standardError: se, df: Double(fit.n - 2), level: plan.level, tails: plan.tails).p < alpha
            }
            if rejects(baseEffect) { rejectionsAtZero += 1 }
            for (k, lift) in plan.lifts.enumerated() where rejects(baseEffect + lift * observed) { rejections[k] += 1 }
        }
        guard valid > 0 else {
            throw GeoError(.insufficientData, "no placebo window could be fitted (constant control series or perfect fits in all \(windows))")
        }
        return result(plan: plan, windows: valid, rejectionsAtZero: rejectionsAtZero, rejections: rejections)
    }

    /// Placebo power of synthetic control over `history`: as ``placebo(panel:assignment:history:plan:)``,
    /// with ``GeoAnalysis/scm(panel:assignment:periods:level:tails:ridge:permutations:seed:)``'s
    /// conformal test in place of TBR's.
    ///
    /// In each window of `preDays` + `testDays` days, every treatment geo's response on the test
    /// days is multiplied by (1 + lift) and the window counts as a rejection when the conformal
    /// p-value of "no effect" is below 1 − level — the `p_value` `scm` reports on that window with
    /// the lift injected, computed here without `scm`'s interval search (p(0) only: one
    /// simplex fit on all the window's days and `permutations` permutation statistics per lift,
    /// the permutations shared by every window). A window where SCM cannot run (no pre-period
    /// response in the treatment group, fewer than 2 control geos with some) is skipped.
    /// O(W·(L + 1)·(fit + B·T)), a fit being FISTA on the donors' Gram matrix.
    ///
    /// Reference: V. Chernozhukov, K. Wüthrich, Y. Zhu, JASA 116 (2021), with the placebo design
    /// of ``GeoPower``.
    /// - Throws: ``GeoError`` as ``placebo(panel:assignment:history:plan:)``; `invalid_input` for
    ///   permutations outside 19…``maxPermutations`` or over 10⁷ / test days, or a negative
    ///   ridge; `insufficient_data` for fewer than 2 control geos or when no window can run.
    public static func placeboSCM(
        panel: GeoPanel, assignment: GeoAssignment, history: ClosedRange<GeoDay>, plan: Plan, permutations: Int = defaultPermutations,
        seed: UInt64 = GeoDesign.defaultSeed, ridge: Double? = nil
    ) throws(GeoError) -> Result {
        try validate(plan)
        guard permutations >= 19, permutations <= maxPermutations else {
            throw GeoError(.invalidInput, "use 19…\(maxPermutations) permutations (19 lets a p-value reach 0.05), got \(permutations)")
        }
        // The draws are kept in memory (permutations × test days indices), shared by every window.
        guard permutations * plan.testDays <= 10_000_000 else {
            throw GeoError(
                .invalidInput, "permutations × test days must be at most 10,000,000 (got \(permutations) × \(plan.testDays)); use fewer permutations")
        }
        if let ridge { guard ridge.isFinite, ridge >= 0 else { throw GeoError(.invalidInput, "ridge must be ≥ 0, got \(ridge)") } }
        let groups = try assignment.resolve(in: panel)
        guard groups.control.count >= 2 else {
            throw GeoError(.insufficientData, "SCM power needs at least 2 control geos (donors), the assignment has \(groups.control.count)")
        }
        let days = try panel.offsets(history, name: "history")
        let span = plan.preDays + plan.testDays
        guard days.count >= span else {
            throw GeoError(.insufficientData, "the history has \(days.count) days, fewer than one window of \(plan.preDays) + \(plan.testDays)")
        }
        let windows = days.count - span + 1
        let alpha = 1 - plan.level
        let draws = GeoAnalysis.ConformalTest.draws(total: span, post: plan.testDays, permutations: permutations, seed: seed)
        let rows = Array(0..<span)
        var valid = 0
        var rejectionsAtZero = 0
        var rejections = [Int](repeating: 0, count: plan.lifts.count)
        for start in 0..<windows {
            let all = (days.lowerBound + start)..<(days.lowerBound + start + span)
            let test = (all.lowerBound + plan.preDays)..<all.upperBound
            guard let series = try? GeoAnalysis.scmSeries(panel, groups, (pre: all.lowerBound..<test.lowerBound, analysed: test, test: test)) else { continue }
            let conformal = GeoAnalysis.ConformalTest(
                model: SyntheticControl(donors: series.donors, rows: rows, ridge: ridge), preCount: plan.preDays, tails: plan.tails, draws: draws)
            valid += 1
            /// p(0) with every treatment geo's test days × (1 + lift), summed geo by geo as `scm`
            /// sums a panel carrying those values (so the two agree to the bit), from a cold start as `scm`'s p(0).
            func rejects(_ lift: Double) -> Bool {
                var y = series.y
                for t in plan.preDays..<span {
                    var sum = 0.0
                    for g in groups.treatment { sum += panel.response(geo: g, day: all.lowerBound + t) * (1 + lift) }
                    y[t] = sum
                }
                return conformal.pValue(target: y.map { $0 / series.targetMean }, start: nil).p < alpha
            }
            if rejects(0) { rejectionsAtZero += 1 }
            for (k, lift) in plan.lifts.enumerated() where rejects(lift) { rejections[k] += 1 }
        }
        guard valid > 0 else {
            throw GeoError(
                .insufficientData,
                "no placebo window could run SCM (in all \(windows), the treatment group has no pre-period response or fewer than 2 control geos have some)")
        }
        return result(plan: plan, windows: valid, rejectionsAtZero: rejectionsAtZero, rejections: rejections)
    }

    /// The default number of permutations of ``placeboSCM(panel:assignment:history:plan:permutations:seed:ridge:)``'s
    /// conformal tests: p-values on a grid of 1/200, fine enough at level 0.9.
    public static let defaultPermutations = 199
    /// The most permutations a placebo study may ask for.
    public static let maxPermutations = 10_000

    static func validate(_ plan: Plan) throws(GeoError) {
        try GeoAnalysis.validate(level: plan.level, tails: plan.tails)
        guard plan.preDays >= 3, plan.testDays >= 1 else {
            throw GeoError(.invalidInput, "power needs at least 3 pre days and 1 test day (got \(plan.preDays) and \(plan.testDays))")
        }
        guard plan.lifts.allSatisfy({ $0.isFinite && $0 >= 0 }), zip(plan.lifts, plan.lifts.dropFirst()).allSatisfy({ $0 < $1 }) else {
            throw GeoError(.invalidInput, "lifts must be finite, non-negative and ascending")
        }
    }

    /// Power per lift, the false-positive rate and the interpolated minimum detectable lift from the rejection counts.
    static func result(plan: Plan, windows valid: Int, rejectionsAtZero: Int, rejections: [Int]) -> Result {
        let w = Double(valid)
        let points = zip(plan.lifts, rejections).map { Point(lift: $0, power: Double($1) / w) }
        var mde: Double?
        for (k, point) in points.enumerated() where point.power >= targetPower {
            if k == 0 {
                mde = point.lift
            } else {
                let previous = points[k - 1]
                let fraction = (targetPower - previous.power) / (point.power - previous.power)
                mde = previous.lift + fraction * (point.lift - previous.lift)
            }
            break
        }
        return Result(plan: plan, windows: valid, falsePositiveRate: Double(rejectionsAtZero) / w, points: points, minimumDetectableLift: mde)
    }
}
