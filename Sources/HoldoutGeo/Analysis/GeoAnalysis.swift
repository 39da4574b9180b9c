import HoldoutStats

/// Analyses of a geo experiment on a ``GeoPanel`` with a ``GeoAssignment`` and ``GeoPeriods``.
///
/// Each method returns a value with the shared ``GeoEstimate`` (cumulative incremental response
/// over the test period, plus cooldown when given, with interval, standard error, p-value and
/// lift) and its own fields — except trimmed match, which estimates the iROAS itself
/// (``TrimmedMatchResult``):
///
/// - ``summary(panel:assignment:periods:level:tails:)``: seed 000's naive comparison of geo totals.
/// - ``did(panel:assignment:periods:level:tails:)``: difference in differences of the group series.
/// - ``tbr(panel:assignment:periods:level:tails:)``: Time-Based Regression (Kerman, Wang & Vaver 2017).
/// - ``trimmedMatch(panel:assignment:periods:level:tails:trimRate:maxTrimRate:)``: Chen & Au's
///   trimmed match on a paired design.
/// - ``scm(panel:assignment:periods:level:tails:ridge:permutations:seed:)``: synthetic control
///   with a conformal permutation test.
///
/// Power for a planned test is ``GeoPower/placebo(panel:assignment:history:plan:)``.
///
/// `level` is the interval's coverage (default 0.9); `tails` is 1 (H₁: the campaign increased
/// the response; interval [low, ∞)) or 2.
public enum GeoAnalysis {
    /// Checks level ∈ (0, 1) and tails ∈ {1, 2}.
    static func validate(level: Double, tails: Int) throws(GeoError) {
        guard level.isFinite, level > 0, level < 1 else { throw GeoError(.invalidInput, "level must be in (0, 1), got \(level)") }
        guard tails == 1 || tails == 2 else { throw GeoError(.invalidInput, "tails must be 1 or 2, got \(tails)") }
    }

    /// Interval and p-value for an estimate with a Student t (df) or, with `df` nil, normal
    /// sampling distribution: two-sided est ± q·se with q at 1 − (1 − level)/2 and
    /// p = 2·P(T > |est/se|); one-sided [est − q·se, ∞) with q at `level` and p = P(T > est/se).
    static func interval(estimate: Double, standardError se: Double, df: Double?, level: Double, tails: Int) -> (low: Double, high: Double?, p: Double) {
        let tail = tails == 2 ? (1 - level) / 2 : 1 - level
        let q: Double
        let sf: (Double) -> Double
        if let df {
            q = -StudentT.quantile(tail, degreesOfFreedom: df)
            sf = { StudentT.sf($0, degreesOfFreedom: df) }
        } else {
            q = -Normal.quantile(tail)
            sf = { Normal.sf($0) }
        }
        let z = estimate / se
        if tails == 2 {
            return (estimate - q * se, estimate + q * se, min(1, 2 * sf(abs(z))))
        }
        return (estimate - q * se, nil, sf(z))
    }

    /// incremental / (observed − incremental), or `nil` when the counterfactual is not positive.
    static func lift(incremental: Double, observed: Double) -> Double? {
        let counterfactual = observed - incremental
        return counterfactual > 0 ? incremental / counterfactual : nil
    }

    /// Daily sums of the response (or cost) over `geos` for day offsets `days`.
    static func groupSeries(_ panel: GeoPanel, geos: [Int], days: Range<Int>, cost: Bool = false) -> [Double] {
        var sums = [Double](repeating: 0, count: days.count)
        let storage = cost ? (panel.cost ?? []) : panel.response
        let n = panel.dayCount
        storage.withUnsafeBufferPointer { values in
            sums.withUnsafeMutableBufferPointer { out in
                for g in geos {
                    let base = g * n + days.lowerBound
                    for d in 0..<days.count { out[d] += values[base + d] }
                }
            }
        }
        return sums
    }

    /// Per-geo totals over `days`.
    static func geoTotals(_ panel: GeoPanel, geos: [Int], days: Range<Int>, cost: Bool = false) -> [Double] {
        let storage = cost ? (panel.cost ?? []) : panel.response
        let n = panel.dayCount
        return geos.map { g in
            var total = 0.0
            for d in days { total += storage[g * n + d] }
            return total
        }
    }
}
