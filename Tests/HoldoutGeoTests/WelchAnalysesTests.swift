import Foundation
import Testing

@testable import HoldoutGeo

/// The naive summary and DiD against `scipy.stats.ttest_ind(equal_var=False)` on the same geo
/// totals and daily differences (`Scripts/reference/geo_reference.py`): estimates 1e-9
/// relative, p-values and intervals 1e-8 relative.
@Suite("Naive summary and DiD agree with scipy's Welch test")
struct WelchAnalysesTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            struct Welch: Decodable {
                struct Test: Decodable {
                    let df, p_value, ci_low, diff: Double
                    let ci_high: Double?
                    let n_treatment, days: Int?
                }
                let tails: Int
                let level: Double
                let summary, did: Test
            }
            let name, panel: String
            let assignment: [String: [String]]
            let periods: TBRTests.Reference.Case.Periods
            let welch: [Welch]
            let fixed_cost: Bool
        }
        let cases: [Case]
    }

    @Test("summary and DiD for every case, one and two tails", arguments: ["effect_cooldown", "null_variable_cost", "salesandcost"])
    func parity(caseName: String) throws {
        let reference: Reference = try Fixture.load("geo_reference")
        let c = try #require(reference.cases.first { $0.name == caseName })
        let panel = try Fixture.panel(c.panel)
        let assignment = GeoAssignment(control: c.assignment["control"] ?? [], treatment: c.assignment["treatment"] ?? [])
        let periods = try TBRTests.periods(c.periods, cooldown: true)
        // The treatment group's cost over the analysed days: the incremental cost when only treatment spends.
        let first = panel.firstDay.distance(to: periods.testStart)
        let last = panel.firstDay.distance(to: try #require(periods.cooldownEnd))
        var cost = 0.0
        for geo in c.assignment["treatment"]! {
            let g = try #require(panel.position(of: geo))
            for d in first...last { cost += panel.cost(geo: g, day: d) ?? 0 }
        }
        for w in c.welch {
            let what = "\(caseName) tails=\(w.tails) level=\(w.level)"
            let summary = try GeoAnalysis.summary(panel: panel, assignment: assignment, periods: periods, level: w.level, tails: w.tails)
            let n = Double(try #require(w.summary.n_treatment))
            #expect(summary.naive)
            #expect(Tolerance.isClose(summary.estimate.incremental, n * w.summary.diff, rel: 1e-9), "\(what): summary incremental")
            #expect(
                Tolerance.isClose(summary.estimate.pValue, w.summary.p_value, rel: 1e-8),
                "\(what): summary p \(summary.estimate.pValue) vs \(w.summary.p_value)")
            #expect(Tolerance.isClose(summary.estimate.ciLow, n * w.summary.ci_low, rel: 1e-8), "\(what): summary ci_low")
            #expect(Tolerance.isClose(summary.estimate.ciHigh, w.summary.ci_high.map { n * $0 }, rel: 1e-8), "\(what): summary ci_high")
            #expect(Tolerance.isClose(summary.df, w.summary.df, rel: 1e-9))
            #expect(Tolerance.isClose(summary.estimate.lift, summary.treatmentMean / summary.controlMean - 1, rel: 1e-9))

            let did = try GeoAnalysis.did(panel: panel, assignment: assignment, periods: periods, level: w.level, tails: w.tails)
            let t = Double(try #require(w.did.days))
            #expect(Tolerance.isClose(did.dailyEffect, w.did.diff, rel: 1e-9), "\(what): did daily effect")
            #expect(Tolerance.isClose(did.estimate.incremental, t * w.did.diff, rel: 1e-9), "\(what): did incremental")
            #expect(Tolerance.isClose(did.estimate.pValue, w.did.p_value, rel: 1e-8), "\(what): did p \(did.estimate.pValue) vs \(w.did.p_value)")
            #expect(Tolerance.isClose(did.estimate.ciLow, t * w.did.ci_low, rel: 1e-8), "\(what): did ci_low")
            #expect(Tolerance.isClose(did.estimate.ciHigh, w.did.ci_high.map { t * $0 }, rel: 1e-8), "\(what): did ci_high")
            #expect(Tolerance.isClose(did.df, w.did.df, rel: 1e-9))
            if c.fixed_cost {
                #expect(Tolerance.isClose(did.estimate.iroas, did.estimate.incremental / cost, rel: 1e-12))
                #expect(Tolerance.isClose(did.estimate.iroasCiLow, did.estimate.ciLow / cost, rel: 1e-12))
                #expect(Tolerance.isClose(summary.estimate.iroasCiHigh, summary.estimate.ciHigh.map { $0 / cost }, rel: 1e-12))
            } else {
                #expect(did.estimate.iroas == nil && summary.estimate.iroas == nil, "variable cost: no iROAS from DiD or the summary")
            }
        }
    }
}
