import Foundation
import HoldoutGeo

// Issue 13's `geo power` budget: 40 geos × 5 designs × 9 effect sizes × 2 durations ≤ 60 s
// (release build). The panel is one year of 40 geos from HoldoutGeo's generator (scenario
// geo-basic's dynamics); each design is made from the history, then GeoPower.placebo runs TBR
// placebo tests over every window of the year for the 9 effect sizes, for 14- and 28-day tests.
// With the argument `scm`, GeoPower.placeboSCM runs synthetic control's conformal test instead
// (199 permutations, seed 42). Exits 1 over budget.

func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = ContinuousClock.now - start
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

var scenario = try GeoScenario.named("geo-basic")
(scenario.preDays, scenario.testDays, scenario.lift) = (337, 28, 0)
let generator = try GeoPanelGenerator(scenario)
let panel = try generator.experiment(seed: 2026).panel
let history = panel.firstDay...panel.lastDay
let effects = [0.01, 0.02, 0.03, 0.04, 0.05, 0.075, 0.1, 0.15, 0.2]
let durations = [14, 28]
let scm = CommandLine.arguments.dropFirst().first == "scm"

/// The five designs, each from the whole history.
func designs() throws -> [(String, GeoAssignment)] {
    let weighted = try GeoDesign.weighted(panel: panel, prePeriod: history, tenantID: "bench", generatedAt: Date(timeIntervalSince1970: 0))
    return [
        ("weighted", weighted.geoAssignment),
        ("stratified (strata of 4)", try GeoDesign.stratified(panel: panel, prePeriod: history).assignment),
        ("stratified (strata of 2)", try GeoDesign.stratified(panel: panel, prePeriod: history, stratumSize: 2).assignment),
        ("matched-pairs", try GeoDesign.matchedPairs(panel: panel, prePeriod: history).assignment),
        ("matched-pairs (window 10)", try GeoDesign.matchedPairs(panel: panel, prePeriod: history, window: 10).assignment),
    ]
}

print(
    "geo-power-bench (\(scm ? "SCM, 199 permutations" : "TBR")): \(panel.geos.count) geos × \(panel.dayCount) days, 5 designs × \(effects.count) effect sizes × \(durations.count) durations"
)
var results: [(String, Int, Int, Double?)] = []
var total = 0.0
for round in 0..<3 {
    results.removeAll()
    let elapsed = try seconds {
        for (name, assignment) in try designs() {
            for testDays in durations {
                let plan = GeoPower.Plan(preDays: 4 * testDays, testDays: testDays, level: 0.9, tails: 2, lifts: effects)
                let result =
                    scm
                    ? try GeoPower.placeboSCM(panel: panel, assignment: assignment, history: history, plan: plan)
                    : try GeoPower.placebo(panel: panel, assignment: assignment, history: history, plan: plan)
                results.append((name, testDays, result.windows, result.minimumDetectableLift))
            }
        }
    }
    print("  round \(round + 1): \(String(format: "%.4f", elapsed)) s (designs included)")
    total = round == 0 ? elapsed : min(total, elapsed)
}
for (name, days, windows, mde) in results {
    print(
        "  \(name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(days) days: \(windows) windows, MDE \(mde.map { String(format: "%.3f", $0) } ?? "> 0.2")"
    )
}
print("best of 3: \(String(format: "%.4f", total)) s   budget 60 s")
if total > 60 { exit(1) }
