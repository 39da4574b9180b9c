import Foundation
import Testing

@testable import HoldoutGeo

/// Time-Based Regression against google/matched_markets' `TBR` and `TBRiROAS` (commit 5e3cd95),
/// run by `Scripts/reference/geo_reference.py` on the same panels: 1e-6 relative on every
/// number (the brief's parity bound), p-values 1e-9 relative against scipy's t.sf.
@Suite("TBR agrees with matched_markets")
struct TBRTests {
    struct Reference: Decodable {
        struct Case: Decodable {
            struct Periods: Decodable { let pre_start, test_start, test_end: String; let cooldown_end: String? }
            struct Run: Decodable {
                let use_cooldown: Bool
                let tails: Int
                let level, estimate, scale, probability, intercept, slope, sigma, p_value: Double
                let lower: Double
                let upper: Double?
                let df: Int
                let iroas, iroas_lower, iroas_upper, incremental_cost, incremental_response: Double?
                let iroas_lower_mc, iroas_upper_mc: Double?
            }
            let name, panel: String
            let assignment: [String: [String]]
            let periods: Periods
            let fixed_cost: Bool
            let zero_rows_added: Int
            let tbr: [Run]
        }
        let cases: [Case]
    }

    static func periods(_ p: Reference.Case.Periods, cooldown: Bool) throws -> GeoPeriods {
        GeoPeriods(
            preStart: try GeoDay(p.pre_start), testStart: try GeoDay(p.test_start), testEnd: try GeoDay(p.test_end),
            cooldownEnd: cooldown ? try p.cooldown_end.map { try GeoDay($0) } : nil)
    }

    @Test(
        "estimate, interval, scale, p-value and fit for every case, cooldown on and off, one and two tails",
        arguments: ["effect_cooldown", "null_variable_cost", "effect_variable_cost", "salesandcost"])
    func parity(caseName: String) throws {
        let reference: Reference = try Fixture.load("geo_reference")
        let c = try #require(reference.cases.first { $0.name == caseName })
        let panel = try Fixture.panel(c.panel)
        let assignment = GeoAssignment(control: c.assignment["control"] ?? [], treatment: c.assignment["treatment"] ?? [])
        #expect(c.tbr.count == 8)
        for run in c.tbr {
            let periods = try Self.periods(c.periods, cooldown: run.use_cooldown)
            let result = try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: periods, level: run.level, tails: run.tails)
            let e = result.estimate
            let what = "\(caseName) cooldown=\(run.use_cooldown) tails=\(run.tails) level=\(run.level)"
            #expect(Tolerance.isClose(e.incremental, run.estimate, rel: 1e-6), "\(what): incremental \(e.incremental) vs \(run.estimate)")
            #expect(Tolerance.isClose(e.ciLow, run.lower, rel: 1e-6), "\(what): ci_low \(e.ciLow) vs \(run.lower)")
            #expect(Tolerance.isClose(e.ciHigh, run.upper, rel: 1e-6), "\(what): ci_high \(String(describing: e.ciHigh)) vs \(String(describing: run.upper))")
            #expect(Tolerance.isClose(e.stdError, run.scale, rel: 1e-6), "\(what): std_error \(e.stdError) vs \(run.scale)")
            #expect(Tolerance.isClose(e.pValue, run.p_value, rel: 1e-9), "\(what): p \(e.pValue) vs \(run.p_value)")
            if run.tails == 1 && run.probability < 0.999 {
                #expect(Tolerance.isClose(e.pValue, 1 - run.probability, rel: 1e-9), "\(what): p vs 1 − probability")
            }
            #expect(Tolerance.isClose(result.intercept, run.intercept, rel: 1e-6, floor: 1), "\(what): intercept \(result.intercept) vs \(run.intercept)")
            #expect(Tolerance.isClose(result.slope, run.slope, rel: 1e-6), "\(what): slope")
            #expect(Tolerance.isClose(result.sigma, run.sigma, rel: 1e-6), "\(what): sigma")
            #expect(result.df == run.df)
            #expect(e.level == run.level && e.tails == run.tails)
            if c.fixed_cost {
                #expect(Tolerance.isClose(result.incrementalCost, run.incremental_cost, rel: 1e-9), "\(what): incremental cost")
                #expect(Tolerance.isClose(e.iroas, run.iroas, rel: 1e-6), "\(what): iroas \(String(describing: e.iroas)) vs \(String(describing: run.iroas))")
                #expect(Tolerance.isClose(e.iroasCiLow, run.iroas_lower, rel: 1e-6), "\(what): iroas low")
                #expect(Tolerance.isClose(e.iroasCiHigh, run.iroas_upper, rel: 1e-6), "\(what): iroas high")
            } else {
                // Variable cost: matched_markets' deterministic parts (its interval is simulated).
                let cost = try #require(run.incremental_cost)
                #expect(
                    Tolerance.isClose(result.incrementalCost, cost, rel: 1e-6),
                    "\(what): incremental cost \(String(describing: result.incrementalCost)) vs \(cost)")
                #expect(Tolerance.isClose(e.incremental, run.incremental_response, rel: 1e-6))
                #expect(Tolerance.isClose(e.iroas, cost > 0 ? run.estimate / cost : nil, rel: 1e-6))
                // The interval: the exact quantiles of the ratio of the two t distributions
                // (scipy's adaptive quadrature) to 1e-6, and matched_markets' own simulated
                // percentiles (1M draws) to 2% — their Monte Carlo error, not ours.
                let low = try #require(e.iroasCiLow, "\(what): variable cost has an iROAS interval")
                #expect(Tolerance.isClose(low, run.iroas_lower, rel: 1e-6), "\(what): iroas low \(low) vs \(String(describing: run.iroas_lower))")
                #expect(Tolerance.isClose(e.iroasCiHigh, run.iroas_upper, rel: 1e-6), "\(what): iroas high \(String(describing: e.iroasCiHigh))")
                #expect(Tolerance.isClose(low, run.iroas_lower_mc, rel: 0.02), "\(what): iroas low vs matched_markets' simulation")
                #expect(Tolerance.isClose(e.iroasCiHigh, run.iroas_upper_mc, rel: 0.02), "\(what): iroas high vs matched_markets' simulation")
            }
        }
    }

    @Test("the salesandcost fixture carries explicit zero rows where matched_markets' data has none")
    func salesandcostZeros() throws {
        let reference: Reference = try Fixture.load("geo_reference")
        let c = try #require(reference.cases.first { $0.name == "salesandcost" })
        #expect(c.zero_rows_added == 75)
    }

    @Test("lift is incremental / (observed − incremental) in the treatment group")
    func lift() throws {
        let panel = try SyntheticPanel.make(geos: 10, days: 60) { g, d in g >= 5 && d >= 40 ? 50 : 0 }
        let assignment = GeoAssignment(control: (0..<5).map(SyntheticPanel.name), treatment: (5..<10).map(SyntheticPanel.name))
        let start = try GeoDay("2026-01-01")
        let periods = GeoPeriods(preStart: start, testStart: start.advanced(by: 40), testEnd: start.advanced(by: 59))
        let result = try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: periods)
        var observed = 0.0
        for g in 5..<10 { for d in 40..<60 { observed += panel.response(geo: g, day: d) } }
        let e = result.estimate
        #expect(Tolerance.isClose(e.lift, e.incremental / (observed - e.incremental), rel: 1e-12))
        // 5 geos × 20 days × 50 injected.
        #expect(abs(e.incremental - 5000) < 4 * e.stdError)
        #expect(e.ciHigh != nil && e.tails == 2 && e.level == 0.9)
    }

    @Test("JSON has the shared snake_case keys and the fit, with ci_high null one-sided")
    func json() throws {
        let panel = try SyntheticPanel.make(geos: 6, days: 30)
        let assignment = GeoAssignment(control: ["geo0000", "geo0001", "geo0002"], treatment: ["geo0003", "geo0004", "geo0005"])
        let start = try GeoDay("2026-01-01")
        let periods = GeoPeriods(preStart: start, testStart: start.advanced(by: 20), testEnd: start.advanced(by: 25), cooldownEnd: start.advanced(by: 29))
        let result = try GeoAnalysis.tbr(panel: panel, assignment: assignment, periods: periods, level: 0.8, tails: 1)
        let data = try JSONEncoder().encode(result)
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for key in ["incremental", "ci_low", "ci_high", "std_error", "p_value", "lift", "level", "tails", "intercept", "slope", "sigma", "df"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["ci_high"] is NSNull)
        #expect(result.analysedDays == 10 && result.preDays == 20)
        #expect(try JSONDecoder().decode(TBRResult.self, from: data) == result)
    }
}
