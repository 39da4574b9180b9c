import HoldoutStats

/// The result of a trimmed match analysis on a paired design.
///
/// Encoded with snake_case keys: `iroas, ci_low, ci_high, std_error, p_value, level, tails,
/// trim_rate, trimmed_pairs, pairs, candidates`; `ci_high` is `null` one-sided.
public struct TrimmedMatchResult: Sendable, Hashable, Codable {
    public var iroas: Double
    public var ciLow: Double
    public var ciHigh: Double?
    public var stdError: Double
    /// From the studentized trimmed mean at iROAS = 0 against the normal, the statistic the
    /// interval inverts: 0 lies in the interval exactly when p ≥ 1 − level.
    public var pValue: Double
    public var level: Double
    public var tails: Int
    public var trimRate: Double
    /// Ids of the pairs trimmed at the estimate.
    public var trimmedPairs: [Int]
    /// Number of pairs.
    public var pairs: Int
    /// The estimate at each candidate trim rate (one when the rate was fixed).
    public var candidates: [TrimmedMatch.Candidate]

    enum CodingKeys: String, CodingKey {
        case iroas
        case ciLow = "ci_low"
        case ciHigh = "ci_high"
        case stdError = "std_error"
        case pValue = "p_value"
        case level, tails
        case trimRate = "trim_rate"
        case trimmedPairs = "trimmed_pairs"
        case pairs, candidates
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(iroas, forKey: .iroas)
        try c.encode(ciLow, forKey: .ciLow)
        try c.encode(ciHigh, forKey: .ciHigh)
        try c.encode(stdError, forKey: .stdError)
        try c.encode(pValue, forKey: .pValue)
        try c.encode(level, forKey: .level)
        try c.encode(tails, forKey: .tails)
        try c.encode(trimRate, forKey: .trimRate)
        try c.encode(trimmedPairs, forKey: .trimmedPairs)
        try c.encode(pairs, forKey: .pairs)
        try c.encode(candidates, forKey: .candidates)
    }
}

extension GeoAnalysis {
    /// Chen & Au's trimmed match on a paired design (see ``TrimmedMatch``).
    ///
    /// For each pair, Δr and Δc are the treatment geo's total response and cost over the
    /// analysed days (test, plus cooldown when given) minus the control geo's. The iROAS, its
    /// standard error, the chosen trim rate (up to `maxTrimRate`, default 0.25, unless
    /// `trimRate` fixes it) and the interval are the trimmed_match package's.
    ///
    /// Two-sided, the interval is the package's at confidence `level` and
    /// p = 2·(1 − Φ(|T(0)|)), T the studentized trimmed mean of the Δr. One-sided (H₁: iROAS > 0),
    /// the lower end of the package's interval at confidence 2·level − 1 (threshold z_level) and
    /// p = 1 − Φ(T(0)); this is the inversion of the one-sided test when T(θ) decreases in θ,
    /// as it does when the cost differences are positive. In the package's fallback for an
    /// unbounded interval (θ̂ ± 3·z·se) the interval and p-value are no longer each other's
    /// inversion.
    ///
    /// - Throws: ``GeoError``: the panel has no cost, the assignment has no complete pairs (every
    ///   geo needs a `pair`, each pair one control and one treatment geo), fewer than 2 pairs,
    ///   level ≤ 0.5 one-sided, no cost difference, or no root of the estimating equation.
    public static func trimmedMatch(
        panel: GeoPanel, assignment: GeoAssignment, periods: GeoPeriods, level: Double = 0.9, tails: Int = 2, trimRate: Double? = nil,
        maxTrimRate: Double = 0.25
    ) throws(GeoError) -> TrimmedMatchResult {
        try validate(level: level, tails: tails)
        guard tails == 2 || level > 0.5 else { throw GeoError(.invalidInput, "a one-sided trimmed match interval needs level > 0.5, got \(level)") }
        guard panel.hasCost else { throw GeoError(.invalidInput, "trimmed match estimates iROAS and needs cost on the panel rows") }
        let groups = try assignment.resolve(in: panel, needsPairs: true)
        let days = try periods.offsets(in: panel)
        let treatmentGeos = groups.pairs.map(\.treatment)
        let controlGeos = groups.pairs.map(\.control)
        let rt = geoTotals(panel, geos: treatmentGeos, days: days.analysed)
        let rc = geoTotals(panel, geos: controlGeos, days: days.analysed)
        let ct = geoTotals(panel, geos: treatmentGeos, days: days.analysed, cost: true)
        let cc = geoTotals(panel, geos: controlGeos, days: days.analysed, cost: true)
        let estimator = try TrimmedMatch(
            deltaResponse: zip(rt, rc).map { $0 - $1 }, deltaCost: zip(ct, cc).map { $0 - $1 }, maxTrimRate: maxTrimRate)
        let report = try estimator.report(confidence: tails == 2 ? level : 2 * level - 1, trimRate: trimRate)
        let t0 = report.statisticAtZero
        guard t0.isFinite else {
            throw GeoError(.insufficientData, "trimmed match: the response differences have no spread after trimming, so no p-value")
        }
        let p = tails == 2 ? min(1, 2 * Normal.sf(abs(t0))) : Normal.sf(t0)
        return TrimmedMatchResult(
            iroas: report.estimate, ciLow: report.ciLow, ciHigh: tails == 2 ? report.ciHigh : nil, stdError: report.stdError, pValue: p, level: level,
            tails: tails, trimRate: report.trimRate, trimmedPairs: report.trimmedPairs.map { groups.pairs[$0].id }.sorted(), pairs: groups.pairs.count,
            candidates: report.candidates)
    }
}
