import Foundation
import HoldoutGeo

// Times the geo analyses on a synthetic panel of 1,000 geos × 365 days (release build).
// Budget from issue 13: TBR < 0.2 s. Exits 1 when TBR from the rows (panel build included) is over budget.

struct SplitMix {
    var state: UInt64
    mutating func uniform() -> Double {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return Double((z ^ (z >> 31)) >> 11) * 0x1p-53
    }
}

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// Median of `runs` timings.
func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<runs { times.append(try seconds(body)) }
    return times.sorted()[runs / 2]
}

func format(_ s: Double) -> String { String(format: "%.4f s", s) }

let geos = 1_000
let days = 365
let start = try GeoDay("2025-01-01")
var rng = SplitMix(state: 13)
var rows: [GeoPanel.Row] = []
rows.reserveCapacity(geos * days)
for g in 0..<geos {
    let size = 50 + 5_000 * rng.uniform() * rng.uniform()
    for d in 0..<days {
        let weekly = 1 + 0.15 * sin(2 * Double.pi * Double(d) / 7)
        let treated = g % 2 == 1 && d >= 300
        let response = size * weekly * (1 + 0.2 * (rng.uniform() - 0.5)) * (treated ? 1.05 : 1)
        rows.append(GeoPanel.Row(date: start.advanced(by: d), geo: "g\(g)", response: response, cost: treated ? 0.02 * size : 0))
    }
}
var panel: GeoPanel?
let build = try median(runs: 3) { panel = try GeoPanel(rows: rows) }
guard let panel else { fatalError("no panel") }
let assignment = GeoAssignment(control: (0..<geos).filter { $0 % 2 == 0 }.map { "g\($0)" }, treatment: (0..<geos).filter { $0 % 2 == 1 }.map { "g\($0)" })
let periods = GeoPeriods(preStart: start, testStart: start.advanced(by: 300), testEnd: start.advanced(by: 350), cooldownEnd: start.advanced(by: 364))

print("geo-bench: \(geos) geos × \(days) days (\(rows.count) rows), median of runs")
print("  GeoPanel(rows:)           \(format(build))")
let tbr = try median(runs: 11) { _ = try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: periods) }
print("  GeoAnalysis.tbr           \(format(tbr))   budget 0.2 s")
let endToEnd = try median(runs: 3) { _ = try GeoAnalysis.tbr(panel: try GeoPanel(rows: rows), assignment: assignment, periods: periods) }
print("  rows → panel → TBR        \(format(endToEnd))")
let did = try median(runs: 11) { _ = try GeoAnalysis.did(panel: panel, assignment: assignment, periods: periods) }
print("  GeoAnalysis.did           \(format(did))")
let summary = try median(runs: 11) { _ = try GeoAnalysis.summary(panel: panel, assignment: assignment, periods: periods) }
print("  GeoAnalysis.summary       \(format(summary))")
let pairs = GeoAssignment(entries: (0..<geos).map { GeoAssignment.Entry(geo: "g\($0)", group: $0 % 2 == 0 ? .control : .treatment, pair: $0 / 2) })
let tm = try median(runs: 3) { _ = try GeoAnalysis.trimmedMatch(panel: panel, assignment: pairs, periods: periods) }
print("  GeoAnalysis.trimmedMatch  \(format(tm))   (500 pairs, trim rate chosen)")
let revenue = (0..<geos).map { GeoDesign.Revenue(geo: "g\($0)", revenue: panel.response(geo: $0, day: 0)) }
let weighted = try median(runs: 11) { _ = try GeoDesign.weighted(revenue: revenue, tenantID: "bench", generatedAt: Date()) }
print("  GeoDesign.weighted        \(format(weighted))   (200 of 1,000 geos)")
let power = try median(runs: 3) {
    _ = try GeoPower.placebo(panel: panel, assignment: assignment, history: start...start.advanced(by: 299), plan: GeoPower.Plan(preDays: 180, testDays: 28))
}
print("  GeoPower.placebo          \(format(power))   (93 windows × 50 lifts)")
let donors = GeoAssignment(control: (0..<100).filter { $0 % 2 == 0 }.map { "g\($0)" }, treatment: (0..<100).filter { $0 % 2 == 1 }.map { "g\($0)" })
let scm = try median(runs: 3) { _ = try GeoAnalysis.scm(panel: panel, assignment: donors, periods: periods) }
print("  GeoAnalysis.scm           \(format(scm))   (50 donors, 1,000 permutations)")
if endToEnd >= 0.2 {
    print("FAIL: TBR from rows took \(format(endToEnd)), over the 0.2 s budget")
    exit(1)
}
