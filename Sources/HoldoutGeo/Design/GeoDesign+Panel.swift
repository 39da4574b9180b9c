/// A design made from a panel's pre-period: the assignment and its balance diagnostics.
///
/// Encoded with snake_case keys: `method, seed, assignment, excluded, diagnostics`.
public struct PanelDesign: Sendable, Hashable, Codable {
    /// `stratified` or `matched-pairs`.
    public var method: String
    public var seed: UInt64
    public var assignment: GeoAssignment
    /// Geos left out (the smallest geo of an odd count in a matched-pairs design).
    public var excluded: [String]
    public var diagnostics: BalanceDiagnostics

    public init(method: String, seed: UInt64, assignment: GeoAssignment, excluded: [String], diagnostics: BalanceDiagnostics) {
        self.method = method
        self.seed = seed
        self.assignment = assignment
        self.excluded = excluded
        self.diagnostics = diagnostics
    }
}

extension GeoDesign {
    /// Stratified randomization on pre-period response.
    ///
    /// Orders the geos by pre-period total response (descending; ties by id bytes), cuts the
    /// order into consecutive strata of `stratumSize` geos, and within each stratum sends
    /// round(holdout_ratio·size) geos (half to even) to control,
    /// chosen uniformly at random (a seeded Fisher–Yates shuffle). Strata of similar geos make
    /// the groups' size distributions alike, which plain randomization does not guarantee
    /// with few geos. The last stratum may be smaller.
    ///
    /// - Parameters:
    ///   - prePeriod: the days whose totals order the geos and whose series the diagnostics use.
    ///   - power: an optional placebo power plan for the minimum detectable lift.
    /// - Throws: ``GeoError``: fewer than 4 geos, stratum size < 2, holdout_ratio ∉ (0, 1), a
    ///   design with an empty group, or a pre-period outside the panel.
    public static func stratified(
        panel: GeoPanel, prePeriod: ClosedRange<GeoDay>, holdoutRatio: Double = 0.5, stratumSize: Int = 4, seed: UInt64 = defaultSeed,
        power: GeoPower.Plan? = nil
    ) throws(GeoError) -> PanelDesign {
        guard holdoutRatio > 0, holdoutRatio < 1 else { throw GeoError(.invalidInput, "holdout_ratio must be in (0, 1), got \(holdoutRatio)") }
        guard stratumSize >= 2 else { throw GeoError(.invalidInput, "stratum_size must be at least 2, got \(stratumSize)") }
        guard panel.geos.count >= 4 else { throw GeoError(.insufficientData, "a stratified design needs at least 4 geos, the panel has \(panel.geos.count)") }
        let days = try panel.offsets(prePeriod, name: "pre")
        let totals = GeoAnalysis.geoTotals(panel, geos: Array(panel.geos.indices), days: days)
        let order = panel.geos.indices.sorted { totals[$0] > totals[$1] || (totals[$0] == totals[$1] && $0 < $1) }
        var generator = GeoRandom(seed: seed)
        var group = [GeoAssignment.Group](repeating: .treatment, count: panel.geos.count)
        var start = 0
        while start < order.count {
            var stratum = Array(order[start..<min(start + stratumSize, order.count)])
            let controls = Int((holdoutRatio * Double(stratum.count)).rounded(.toNearestOrEven))
            for i in stride(from: stratum.count - 1, to: 0, by: -1) { stratum.swapAt(i, generator.nextIndex(i + 1)) }
            for g in stratum.prefix(controls) { group[g] = .control }
            start += stratumSize
        }
        let assignment = GeoAssignment(entries: panel.geos.indices.map { GeoAssignment.Entry(geo: panel.geos[$0], group: group[$0]) })
        let diagnostics = try diagnostics(panel: panel, assignment: assignment, prePeriod: prePeriod, power: power)
        return PanelDesign(method: "stratified", seed: seed, assignment: assignment, excluded: [], diagnostics: diagnostics)
    }

    /// Matched pairs on pre-period response and the correlation of the daily series.
    ///
    /// Orders the geos by pre-period total response (descending), then repeatedly takes the
    /// largest unpaired geo i and pairs it with the unpaired geo j, among the next `window` in
    /// that order, minimizing
    ///
    ///     d(i, j) = |R_i − R_j| / (R_i + R_j) + (1 − ρ_ij) / 2
    ///
    /// (R the pre-period totals, ρ the Pearson correlation of the daily pre-period series; both
    /// terms in [0, 1]). One geo of each pair goes to control at random (seeded). With an odd
    /// count the smallest geo is excluded. Pair ids are 1, 2, … from the largest pair down, ready
    /// for ``GeoAnalysis/trimmedMatch(panel:assignment:periods:level:tails:trimRate:maxTrimRate:)``.
    ///
    /// - Throws: ``GeoError``: fewer than 4 geos, window < 1, or a pre-period outside the panel.
    public static func matchedPairs(
        panel: GeoPanel, prePeriod: ClosedRange<GeoDay>, window: Int = 5, seed: UInt64 = defaultSeed, power: GeoPower.Plan? = nil
    ) throws(GeoError) -> PanelDesign {
        guard window >= 1 else { throw GeoError(.invalidInput, "window must be at least 1, got \(window)") }
        guard panel.geos.count >= 4 else {
            throw GeoError(.insufficientData, "a matched-pairs design needs at least 4 geos, the panel has \(panel.geos.count)")
        }
        let days = try panel.offsets(prePeriod, name: "pre")
        let totals = GeoAnalysis.geoTotals(panel, geos: Array(panel.geos.indices), days: days)
        var order = panel.geos.indices.sorted { totals[$0] > totals[$1] || (totals[$0] == totals[$1] && $0 < $1) }
        var excluded: [String] = []
        if order.count % 2 == 1 { excluded.append(panel.geos[order.removeLast()]) }
        func series(_ g: Int) -> [Double] { days.map { panel.response(geo: g, day: $0) } }
        var unpaired = order
        var generator = GeoRandom(seed: seed)
        var entries: [GeoAssignment.Entry] = []
        var pairID = 1
        while unpaired.count >= 2 {
            let i = unpaired.removeFirst()
            let si = series(i)
            var best = 0
            var bestDistance = Double.infinity
            for k in 0..<min(window, unpaired.count) {
                let j = unpaired[k]
                let sum = totals[i] + totals[j]
                let size = sum > 0 ? abs(totals[i] - totals[j]) / sum : 0
                let rho = BalanceDiagnostics.correlation(si, series(j)) ?? 0
                let distance = size + (1 - rho) / 2
                if distance < bestDistance {
                    bestDistance = distance
                    best = k
                }
            }
            let j = unpaired.remove(at: best)
            let firstIsControl = generator.next() >> 63 == 0
            entries.append(GeoAssignment.Entry(geo: panel.geos[i], group: firstIsControl ? .control : .treatment, pair: pairID))
            entries.append(GeoAssignment.Entry(geo: panel.geos[j], group: firstIsControl ? .treatment : .control, pair: pairID))
            pairID += 1
        }
        let assignment = GeoAssignment(entries: entries)
        let diagnostics = try diagnostics(panel: panel, assignment: assignment, prePeriod: prePeriod, power: power)
        return PanelDesign(method: "matched-pairs", seed: seed, assignment: assignment, excluded: excluded, diagnostics: diagnostics)
    }
}
