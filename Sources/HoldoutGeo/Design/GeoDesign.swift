public import Foundation

/// Geo experiment designs: which geos are held out as control.
///
/// - ``weighted(revenue:tenantID:generatedAt:geoColumn:holdoutRatio:minHoldoutUnits:seed:)``:
///   seed 000's design, control drawn with probability proportional to revenue.
///
/// Every design is a pure function of its inputs and seed: the same inputs and seed give the
/// same assignment, whatever the order of the input rows.
public enum GeoDesign {
    /// Seed 000's fixed seed.
    public static let defaultSeed: UInt64 = 42

    /// Revenue attributed to a geo (one order, or a geo's total; rows for one geo are summed).
    public struct Revenue: Sendable, Hashable, Codable {
        public var geo: String
        public var revenue: Double

        public init(geo: String, revenue: Double) {
            self.geo = geo
            self.revenue = revenue
        }
    }

    /// Seed 000's weighted geo holdout.
    ///
    /// Sums revenue per geo (G geos, ordered by the UTF-8 bytes of their ids), then:
    ///
    /// - no rows: `skip` with `no_orders`;
    /// - G < max(2·min_holdout_units, 4): `skip` with `insufficient_geo`;
    /// - otherwise k = max(min_holdout_units, round(holdout_ratio·G)) control geos (`round`
    ///   half to even, as Python's), capped at ⌊G/2⌋ so control never outnumbers treatment,
    ///   drawn without replacement with probability proportional to revenue: each draw picks
    ///   a remaining geo with probability revenue / remaining revenue (successive sampling,
    ///   as numpy's `choice(replace=False, p=…)`), from a xoshiro256** stream seeded with
    ///   `seed`. Zero-revenue geos are drawn (uniformly) only once every geo with revenue is in
    ///   control.
    ///
    /// `weight` is each geo's share of revenue and `control_share` the control geos' total
    /// share (0 when all revenue is zero).
    ///
    /// ```swift
    /// let design = try GeoDesign.weighted(revenue: orders.map { .init(geo: $0.geohash, revenue: $0.net) }, tenantID: "tenant-1", generatedAt: .now)
    /// ```
    ///
    /// - Throws: ``GeoError``: `negative_value` naming the row for negative revenue,
    ///   `invalid_input` for a non-finite value, holdout_ratio ∉ [0, 1] or min_holdout_units < 1.
    public static func weighted(
        revenue rows: [Revenue], tenantID: String, generatedAt: Date, geoColumn: String = "ship_geohash", holdoutRatio: Double = 0.2,
        minHoldoutUnits: Int = 4, seed: UInt64 = defaultSeed
    ) throws(GeoError) -> GeoHoldoutDesign {
        guard holdoutRatio.isFinite, holdoutRatio >= 0, holdoutRatio <= 1 else {
            throw GeoError(.invalidInput, "holdout_ratio must be in [0, 1], got \(holdoutRatio)")
        }
        guard minHoldoutUnits >= 1 else { throw GeoError(.invalidInput, "min_holdout_units must be at least 1, got \(minHoldoutUnits)") }
        var totals: [GeoID: Double] = [:]
        for (i, row) in rows.enumerated() {
            guard row.revenue.isFinite else { throw GeoError(.invalidInput, "row \(i) (geo \(row.geo)): revenue is not finite", geo: row.geo, row: i) }
            guard row.revenue >= 0 else {
                throw GeoError(.negativeValue, "row \(i) (geo \(row.geo)): negative revenue \(row.revenue)", geo: row.geo, row: i)
            }
            totals[GeoID(row.geo), default: 0] += row.revenue
        }
        let geos = totals.keys.sorted()
        func skip(_ reason: GeoHoldoutDesign.SkipReason) -> GeoHoldoutDesign {
            GeoHoldoutDesign(
                tenantID: tenantID, generatedAt: generatedAt, status: .skip, reason: reason, geoCount: geos.count, holdoutCount: 0, controlShare: 0,
                geoColumn: geoColumn, seed: seed, assignment: [])
        }
        if rows.isEmpty { return skip(.noOrders) }
        if geos.count < max(2 * minHoldoutUnits, 4) { return skip(.insufficientGeo) }
        let revenue = geos.map { totals[$0]! }
        let total = revenue.reduce(0, +)
        let target = max(minHoldoutUnits, Int((holdoutRatio * Double(geos.count)).rounded(.toNearestOrEven)))
        let count = min(target, geos.count / 2)
        var generator = GeoRandom(seed: seed)
        let control = drawProportional(weights: revenue, count: count, using: &generator)
        var isControl = [Bool](repeating: false, count: geos.count)
        for g in control { isControl[g] = true }
        var controlRevenue = 0.0
        for g in control { controlRevenue += revenue[g] }
        let items = geos.indices.map { g in
            GeoHoldoutDesign.Item(geo: geos[g].text, group: isControl[g] ? .control : .treatment, weight: total > 0 ? revenue[g] / total : 0)
        }
        return GeoHoldoutDesign(
            tenantID: tenantID, generatedAt: generatedAt, status: .ready, reason: nil, geoCount: geos.count, holdoutCount: count,
            controlShare: total > 0 ? controlRevenue / total : 0, geoColumn: geoColumn, seed: seed, assignment: items)
    }

    /// Seed 000's weighted design from a panel: revenue = each geo's total response over
    /// `prePeriod`, then as ``weighted(revenue:tenantID:generatedAt:geoColumn:holdoutRatio:minHoldoutUnits:seed:)``,
    /// with ``BalanceDiagnostics`` on the same pre-period when the design is ready.
    /// - Throws: ``GeoError`` as the revenue version, a pre-period outside the panel, or a failing power plan.
    public static func weighted(
        panel: GeoPanel, prePeriod: ClosedRange<GeoDay>, tenantID: String, generatedAt: Date, geoColumn: String = "ship_geohash",
        holdoutRatio: Double = 0.2, minHoldoutUnits: Int = 4, seed: UInt64 = defaultSeed, power: GeoPower.Plan? = nil
    ) throws(GeoError) -> GeoHoldoutDesign {
        let days = try panel.offsets(prePeriod, name: "pre")
        let totals = GeoAnalysis.geoTotals(panel, geos: Array(panel.geos.indices), days: days)
        let revenue = zip(panel.geos, totals).map { Revenue(geo: $0, revenue: $1) }
        var design = try weighted(
            revenue: revenue, tenantID: tenantID, generatedAt: generatedAt, geoColumn: geoColumn, holdoutRatio: holdoutRatio,
            minHoldoutUnits: minHoldoutUnits, seed: seed)
        if design.status == .ready {
            design.diagnostics = try diagnostics(panel: panel, assignment: design.geoAssignment, prePeriod: prePeriod, power: power)
        }
        return design
    }

    /// Draws `count` distinct indices, each draw with probability weight / remaining weight;
    /// zero-weight indices uniformly once the positive ones are exhausted. O(n·count).
    static func drawProportional(weights: [Double], count: Int, using generator: inout GeoRandom) -> [Int] {
        var remaining = Array(weights.indices)
        var chosen: [Int] = []
        chosen.reserveCapacity(count)
        while chosen.count < count && !remaining.isEmpty {
            var mass = 0.0
            for i in remaining { mass += weights[i] }
            var pick: Int
            if mass > 0 {
                let u = generator.nextUniform() * mass
                var cumulative = 0.0
                pick = remaining.lastIndex { weights[$0] > 0 }!
                for (position, i) in remaining.enumerated() where weights[i] > 0 {
                    cumulative += weights[i]
                    if u < cumulative {
                        pick = position
                        break
                    }
                }
            } else {
                pick = generator.nextIndex(remaining.count)
            }
            chosen.append(remaining.remove(at: pick))
        }
        return chosen.sorted()
    }
}
