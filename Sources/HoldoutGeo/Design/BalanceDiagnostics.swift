/// How alike the control and treatment groups of a design are before the test.
///
/// Encoded with snake_case keys.
public struct BalanceDiagnostics: Sendable, Hashable, Codable {
    /// Control's and treatment's shares of pre-period response (revenue).
    public var controlShare: Double
    public var treatmentShare: Double
    /// Pearson correlation of the two groups' daily pre-period series (sums over their geos);
    /// `nil` when a series is constant.
    public var correlation: Double?
    /// Standardized mean difference of the geos' pre-period totals:
    /// (mean_T − mean_C) / √((s²_T + s²_C)/2); `nil` with fewer than 2 geos in a group or no
    /// variance. |SMD| < 0.1 is the usual rule of thumb for balance.
    public var standardizedMeanDifference: Double?
    /// The placebo power analysis, when a plan was given.
    public var power: GeoPower.Result?

    /// The minimum detectable lift at 80% power, from ``power``.
    public var minimumDetectableLift: Double? { power?.minimumDetectableLift }

    enum CodingKeys: String, CodingKey {
        case controlShare = "control_share"
        case treatmentShare = "treatment_share"
        case correlation
        case standardizedMeanDifference = "standardized_mean_difference"
        case power
        case minimumDetectableLift = "minimum_detectable_lift"
    }

    public init(controlShare: Double, treatmentShare: Double, correlation: Double?, standardizedMeanDifference: Double?, power: GeoPower.Result?) {
        self.controlShare = controlShare
        self.treatmentShare = treatmentShare
        self.correlation = correlation
        self.standardizedMeanDifference = standardizedMeanDifference
        self.power = power
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        controlShare = try c.decode(Double.self, forKey: .controlShare)
        treatmentShare = try c.decode(Double.self, forKey: .treatmentShare)
        correlation = try c.decodeIfPresent(Double.self, forKey: .correlation)
        standardizedMeanDifference = try c.decodeIfPresent(Double.self, forKey: .standardizedMeanDifference)
        power = try c.decodeIfPresent(GeoPower.Result.self, forKey: .power)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(controlShare, forKey: .controlShare)
        try c.encode(treatmentShare, forKey: .treatmentShare)
        try c.encode(correlation, forKey: .correlation)
        try c.encode(standardizedMeanDifference, forKey: .standardizedMeanDifference)
        try c.encode(minimumDetectableLift, forKey: .minimumDetectableLift)
        try c.encodeIfPresent(power, forKey: .power)
    }

    /// Pearson correlation, or `nil` when either series is constant.
    static func correlation(_ a: [Double], _ b: [Double]) -> Double? {
        let n = Double(a.count)
        guard a.count >= 2 else { return nil }
        let ma = a.reduce(0, +) / n
        let mb = b.reduce(0, +) / n
        var saa = 0.0
        var sbb = 0.0
        var sab = 0.0
        for i in a.indices {
            let da = a[i] - ma
            let db = b[i] - mb
            saa += da * da
            sbb += db * db
            sab += da * db
        }
        guard saa > 0, sbb > 0 else { return nil }
        return sab / (saa * sbb).squareRoot()
    }
}

extension GeoDesign {
    /// Balance diagnostics of an assignment on a panel's pre-period (see ``BalanceDiagnostics``).
    ///
    /// With a `plan`, the minimum detectable lift comes from ``GeoPower/placebo(panel:assignment:history:plan:)``
    /// over the same pre-period.
    /// - Throws: ``GeoError`` for unknown geos, a pre-period outside the panel, or a failing power plan.
    public static func diagnostics(
        panel: GeoPanel, assignment: GeoAssignment, prePeriod: ClosedRange<GeoDay>, power plan: GeoPower.Plan? = nil
    ) throws(GeoError) -> BalanceDiagnostics {
        let groups = try assignment.resolve(in: panel)
        let days = try panel.offsets(prePeriod, name: "pre")
        let control = GeoAnalysis.geoTotals(panel, geos: groups.control, days: days)
        let treatment = GeoAnalysis.geoTotals(panel, geos: groups.treatment, days: days)
        let c = control.reduce(0, +)
        let t = treatment.reduce(0, +)
        let total = c + t
        let series = BalanceDiagnostics.correlation(
            GeoAnalysis.groupSeries(panel, geos: groups.control, days: days), GeoAnalysis.groupSeries(panel, geos: groups.treatment, days: days))
        var smd: Double?
        if control.count >= 2, treatment.count >= 2 {
            func meanVariance(_ v: [Double]) -> (Double, Double) {
                let m = v.reduce(0, +) / Double(v.count)
                return (m, v.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(v.count - 1))
            }
            let (mc, vc) = meanVariance(control)
            let (mt, vt) = meanVariance(treatment)
            let pooled = ((vc + vt) / 2).squareRoot()
            if pooled > 0 { smd = (mt - mc) / pooled }
        }
        let power = try plan.map { (p: GeoPower.Plan) throws(GeoError) in
            try GeoPower.placebo(panel: panel, assignment: assignment, history: prePeriod, plan: p)
        }
        return BalanceDiagnostics(
            controlShare: total > 0 ? c / total : 0, treatmentShare: total > 0 ? t / total : 0, correlation: series, standardizedMeanDifference: smd,
            power: power)
    }
}
