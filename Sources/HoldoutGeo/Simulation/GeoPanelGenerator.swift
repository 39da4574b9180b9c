import Foundation

/// A simulated geo experiment: the panel, the design's assignment, the periods and the truth.
public struct SimulatedGeoExperiment: Sendable {
    /// What the campaign really did, summed over treatment geos and test days.
    public struct Truth: Sendable, Hashable, Codable {
        /// Σ (y1 − y0): the cumulative incremental response TBR, DiD and SCM estimate.
        public var incremental: Double
        /// Σ y0: the treatment group's response had there been no campaign.
        public var counterfactual: Double
        /// Σ spend (0 without spend).
        public var cost: Double

        /// incremental / counterfactual, the `lift` the analyses report.
        public var lift: Double { counterfactual > 0 ? incremental / counterfactual : 0 }
        /// incremental / cost, the iROAS trimmed match estimates; `nil` without spend.
        public var iroas: Double? { cost > 0 ? incremental / cost : nil }
    }

    public var panel: GeoPanel
    public var assignment: GeoAssignment
    public var periods: GeoPeriods
    public var truth: Truth
}

/// Generates geo panels from a ``GeoScenario``, seeded and reproducible.
///
/// ```swift
/// let generator = try GeoPanelGenerator(try GeoScenario.named("geo-basic"))
/// let run = try generator.experiment(seed: 7)
/// let tbr = try GeoAnalysis.tbr(panel: run.panel, assignment: run.assignment, periods: run.periods)
/// // tbr.estimate.incremental estimates run.truth.incremental
/// ```
///
/// A seed fixes every random draw (sizes, shocks, noise, the design's coin flips) in an order
/// that does not depend on the effect settings, so the same seed with a different `lift`,
/// `iroas` or `spendShare` gives the same pre-period, the same assignment and the same y0: only
/// treatment geos' test days change. Geos are named `g000`, `g001`, …; the panel starts on
/// 2026-01-05 (a Monday).
public struct GeoPanelGenerator: Sendable {
    public let scenario: GeoScenario
    /// The first day of every generated panel.
    public static let firstDay = GeoDay(dayNumber: 20_458)  // 2026-01-05

    /// - Throws: ``GeoError`` for invalid settings.
    public init(_ scenario: GeoScenario) throws(GeoError) {
        try scenario.validate()
        self.scenario = scenario
    }

    /// The untreated potential outcomes y0 and the planned spend profile, geo-major.
    public struct Baseline: Sendable {
        public var geos: [String]
        public var sizes: [Double]
        /// y0[g·days + d].
        public var response: [Double]
        /// The expected response E[y0] (see ``GeoScenario``), geo-major: spend is a share of it.
        public var expected: [Double]
        public var days: Int
    }

    public var periods: GeoPeriods {
        GeoPeriods(
            preStart: Self.firstDay, testStart: Self.firstDay.advanced(by: scenario.preDays),
            testEnd: Self.firstDay.advanced(by: scenario.preDays + scenario.testDays - 1))
    }

    /// The scenario's pre-period as a closed range of days.
    public var prePeriod: ClosedRange<GeoDay> { Self.firstDay...Self.firstDay.advanced(by: scenario.preDays - 1) }

    /// Draws y0 for every geo and day. The draws are, in order: the G size draws, then for
    /// each day its market shock and size-factor shock, then the G×D noise draws (geo-major),
    /// all standard normals from a xoshiro256** stream seeded with `seed` (Box–Muller).
    public func baseline(seed: UInt64) -> Baseline {
        let s = scenario
        let days = s.preDays + s.testDays
        var random = GeoRandom(seed: seed)
        var normal = NormalSource()
        let z = (0..<s.geos).map { _ in normal.next(&random) }
        let sizes = z.map { s.sizeMedian * Foundation.exp(s.sizeLogSD * $0) }
        var market = [Double](repeating: 0, count: days)
        var factor = [Double](repeating: 0, count: days)
        var shape = [Double](repeating: 0, count: days)
        for d in 0..<days {
            market[d] = Foundation.exp(s.marketSD * normal.next(&random) - s.marketSD * s.marketSD / 2)
            factor[d] = s.sizeFactorSD * normal.next(&random)
            shape[d] = (1 + s.weeklyAmplitude * Foundation.cos(2 * Double.pi * Double(d) / 7)) * (1 + s.trendPerDay * Double(d))
        }
        var response = [Double](repeating: 0, count: s.geos * days)
        var expected = [Double](repeating: 0, count: s.geos * days)
        let noiseShift = s.noiseSD * s.noiseSD / 2
        for g in 0..<s.geos {
            let loadingShift = z[g] * z[g] * s.sizeFactorSD * s.sizeFactorSD / 2
            for d in 0..<days {
                let mean = sizes[g] * shape[d] * (s.sizeTrendPerDay == 0 ? 1 : Foundation.exp(s.sizeTrendPerDay * z[g] * Double(d)))
                let shocks = market[d] * Foundation.exp(z[g] * factor[d] - loadingShift)
                let noise = Foundation.exp(s.noiseSD * normal.next(&random) - noiseShift)
                expected[g * days + d] = mean
                response[g * days + d] = mean * shocks * noise
            }
        }
        let width = String(s.geos - 1).count
        let geos = (0..<s.geos).map { g in
            let text = String(g)
            return "g" + String(repeating: "0", count: max(0, max(3, width) - text.count)) + text
        }
        return Baseline(geos: geos, sizes: sizes, response: response, expected: expected, days: days)
    }

    /// A whole experiment with the scenario's design: y0, the design from the pre-period, then
    /// the effect in treatment geos on test days.
    /// - Throws: ``GeoError`` when the design cannot be made (too few geos for it).
    public func experiment(seed: UInt64) throws(GeoError) -> SimulatedGeoExperiment {
        let base = baseline(seed: seed)
        let assignment = try design(scenario.design, baseline: base, seed: seed)
        return try experiment(baseline: base, assignment: assignment)
    }

    /// The assignment `design` makes from the baseline's pre-period; its coin flips use a seed
    /// derived from `seed` (so they are independent of the panel's draws).
    /// - Throws: ``GeoError`` when the design cannot be made.
    public func design(_ design: GeoScenario.Design, baseline base: Baseline, seed: UInt64) throws(GeoError) -> GeoAssignment {
        let designSeed = GeoCalibration.runSeed(seed ^ 0xD1B5_4A32_D192_ED03, run: 0)
        switch design {
        case .random:
            var random = GeoRandom(seed: designSeed)
            var order = Array(0..<scenario.geos)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, random.nextIndex(i + 1)) }
            let control = Set(order.prefix(scenario.geos / 2))
            return GeoAssignment(
                entries: base.geos.indices.map { GeoAssignment.Entry(geo: base.geos[$0], group: control.contains($0) ? .control : .treatment) })
        case .stratified:
            return try GeoDesign.stratified(panel: prePanel(base), prePeriod: prePeriod, seed: designSeed).assignment
        case .matchedPairs:
            return try GeoDesign.matchedPairs(panel: prePanel(base), prePeriod: prePeriod, seed: designSeed).assignment
        case .weighted:
            let made = try GeoDesign.weighted(
                panel: prePanel(base), prePeriod: prePeriod, tenantID: "simulation", generatedAt: Date(timeIntervalSince1970: 0), seed: designSeed)
            guard made.status == .ready else { throw GeoError(.insufficientData, "the weighted design skipped: \(made.reason?.rawValue ?? "no reason")") }
            return made.geoAssignment
        }
    }

    /// The experiment on `baseline` with `assignment`: the effect is injected in its treatment
    /// geos on test days (geos it does not name get none).
    /// - Throws: ``GeoError`` when the assignment names unknown geos.
    public func experiment(baseline base: Baseline, assignment: GeoAssignment) throws(GeoError) -> SimulatedGeoExperiment {
        let s = scenario
        var isTreated = [Bool](repeating: false, count: s.geos)
        let position = Dictionary(uniqueKeysWithValues: base.geos.enumerated().map { ($1, $0) })
        for entry in assignment.entries {
            guard let g = position[entry.geo] else {
                throw GeoError(.unknownGeo, "the assignment names geo \(entry.geo), not in the simulation", geo: entry.geo)
            }
            isTreated[g] = entry.group == .treatment
        }
        var truth = SimulatedGeoExperiment.Truth(incremental: 0, counterfactual: 0, cost: 0)
        var response = base.response
        var costs = s.hasSpend ? [Double](repeating: 0, count: response.count) : nil
        for g in 0..<s.geos where isTreated[g] {
            for d in s.preDays..<base.days {
                let cell = g * base.days + d
                let y0 = base.response[cell]
                let cost = s.spendShare * base.expected[cell]
                let y = y0 * (1 + s.lift) + s.iroas * cost
                response[cell] = y
                costs?[cell] = cost
                truth.incremental += y - y0
                truth.counterfactual += y0
                truth.cost += cost
            }
        }
        let panel = GeoPanel(sortedGeos: base.geos, firstDay: Self.firstDay, dayCount: base.days, response: response, cost: costs)
        return SimulatedGeoExperiment(panel: panel, assignment: assignment, periods: periods, truth: truth)
    }

    /// The baseline's pre-period as a panel, for the designs.
    func prePanel(_ base: Baseline) -> GeoPanel {
        var response: [Double] = []
        response.reserveCapacity(scenario.geos * scenario.preDays)
        for g in 0..<scenario.geos { response += base.response[(g * base.days)..<(g * base.days + scenario.preDays)] }
        return GeoPanel(sortedGeos: base.geos, firstDay: Self.firstDay, dayCount: scenario.preDays, response: response, cost: nil)
    }
}

/// Standard normal draws by the Box–Muller transform, both values of each pair used.
///
/// Hand-written (a dozen lines) because HoldoutGeo depends only on HoldoutStats: the
/// simulator's ziggurat sampler lives in HoldoutSimulation, which brings Yams.
struct NormalSource {
    private var spare: Double?

    mutating func next(_ random: inout GeoRandom) -> Double {
        if let value = spare {
            spare = nil
            return value
        }
        var u = random.nextUniform()
        while u == 0 { u = random.nextUniform() }
        let v = random.nextUniform()
        let radius = (-2 * Foundation.log(u)).squareRoot()
        let angle = 2 * Double.pi * v
        spare = radius * Foundation.sin(angle)
        return radius * Foundation.cos(angle)
    }
}
