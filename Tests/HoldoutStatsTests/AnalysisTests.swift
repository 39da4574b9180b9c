import Foundation
import Testing

@testable import HoldoutStats

/// The committed references (scipy, statsmodels, gbstats), reached through the wire request and
/// ``Analysis/compare(control:treatments:settings:)`` rather than through each test directly.
@Suite("Analysis: one entry point from settings to the tests, against the references")
struct AnalysisTests {
    /// A fixture file's rows as raw JSON objects, to be turned into wire requests.
    static func rows(_ file: String, _ key: String? = nil) throws -> [[String: Any]] {
        let data = try Data(contentsOf: try Fixture.url(file, "json"))
        let root = try JSONSerialization.jsonObject(with: data)
        if let key { return try #require((root as? [String: Any])?[key] as? [[String: Any]]) }
        return try #require(root as? [[String: Any]])
    }

    /// Decodes a fixture row as a request: its arms and alpha/alternative, plus `extra` keys.
    static func request(_ row: [String: Any], _ extra: [String: Any]) throws -> Analysis.Request {
        var object = row.filter { ["control", "treatment", "alpha", "alternative"].contains($0.key) }
        object.merge(extra) { _, new in new }
        return try JSONDecoder().decode(Analysis.Request.self, from: JSONSerialization.data(withJSONObject: object))
    }

    static func run(_ request: Analysis.Request) throws -> Analysis.Result {
        try Analysis.compare(control: request.control, treatments: request.treatments, settings: request.settings)
    }

    static func expected(_ row: [String: Any]) throws -> ExpectedComparison {
        let data = try JSONSerialization.data(withJSONObject: try #require(row["expected"]))
        return try JSONDecoder().decode(ExpectedComparison.self, from: data)
    }

    @Test("frequentist proportions, means and ratios reproduce statsmodels and scipy at the tests' tolerances")
    func frequentist() throws {
        for metric in ["proportion", "mean", "ratio"] {
            let rows = try Self.rows("comparisons", metric)
            #expect(rows.count >= 10)
            for (i, row) in rows.enumerated() {
                let request = try Self.request(row, ["metric": metric, "method": "frequentist"])
                let r = try Self.run(request).treatments[0].comparison
                var rel = 1e-9
                // As in TwoSampleTests: sums of squares lose digits for data with mean ≫ sd.
                if metric == "mean", case .mean(let c) = request.control.statistic, abs(c.mean) > 100 { rel = 5e-9 }
                expectMatches(r, try Self.expected(row), rel: rel, "\(metric)[\(i)]")
            }
        }
    }

    @Test("sequential means reproduce GrowthBook's SequentialTwoSidedTTest to 1e-9")
    func sequential() throws {
        let rows = try Self.rows("comparisons", "sequential")
        #expect(rows.count >= 30)
        for (i, row) in rows.enumerated() {
            let request = try Self.request(row, ["metric": "mean", "method": "sequential", "tuning": try #require(row["tuning"])])
            let r = try Self.run(request).treatments[0].comparison
            let e = try #require(row["expected"] as? [String: Double])
            let (low, high, p) = (try #require(e["ci_low"]), try #require(e["ci_high"]), try #require(e["p_value"]))
            #expect(Tolerance.isClose(r.ciLow, low, rel: 1e-9, floor: high - low), "[\(i)] ci_low")
            #expect(Tolerance.isClose(r.ciHigh, high, rel: 1e-9, floor: high - low), "[\(i)] ci_high")
            #expect(Tolerance.isClose(r.pValue, p, rel: 1e-9, floor: 1e-300), "[\(i)] p")
        }
    }

    @Test("negative control means: fixed and always-valid relative lifts divide by |control| (scipy, gbstats)")
    func negativeControl() throws {
        let rows = try Self.rows("comparisons", "negative_control")
        #expect(rows.count == 15)
        for (i, row) in rows.enumerated() {
            let fixed = try Self.run(try Self.request(row, ["metric": "mean"])).treatments[0].comparison
            expectMatches(fixed, try Self.expected(row), rel: 1e-9, "negative_control[\(i)]")
            guard let e = row["sequential"] as? [String: Double] else { continue }
            let request = try Self.request(row, ["metric": "mean", "method": "sequential", "tuning": try #require(e["tuning"])])
            let s = try Self.run(request).treatments[0].comparison
            let (low, high) = (try #require(e["rel_ci_low"]), try #require(e["rel_ci_high"]))
            #expect(Tolerance.isClose(s.upliftRel, e["uplift_rel"], rel: 1e-9, floor: high - low), "[\(i)] sequential uplift_rel")
            #expect(Tolerance.isClose(s.relCiLow, low, rel: 1e-9, floor: high - low), "[\(i)] sequential rel_ci_low")
            #expect(Tolerance.isClose(s.relCiHigh, high, rel: 1e-9, floor: high - low), "[\(i)] sequential rel_ci_high")
        }
    }

    @Test("Bayesian posteriors (scipy quad) from arms whose lift and standard error are the fixture's")
    func bayesian() throws {
        let rows = try Self.rows("comparisons", "bayesian")
        #expect(rows.count >= 5)
        for (i, row) in rows.enumerated() {
            let d = try #require(row["estimate"] as? Double)
            let se = try #require(row["std_error"] as? Double)
            // Two units per arm at 0 ± δ and d ± δ: lift d, Welch standard error √(2δ²/2 + 2δ²/2) = se.
            let delta = se / 2.0.squareRoot()
            let control: [String: Any] = ["n": 2, "sum": 0.0, "sum_squares": 2 * delta * delta]
            let treatment: [String: Any] = ["n": 2, "sum": 2 * d, "sum_squares": 2 * d * d + 2 * delta * delta]
            var extra: [String: Any] = ["metric": "mean", "method": "bayesian", "control": control, "treatment": treatment]
            if let prior = row["prior"] as? [String: Any] { extra["prior"] = prior }
            let r = try Self.run(try Self.request(row, extra)).treatments[0].comparison
            let e = try #require(row["expected"] as? [String: Double])
            let sd = try #require(e["post_sd"])
            #expect(Tolerance.isClose(r.upliftAbs, e["post_mean"], rel: 1e-12, floor: sd), "[\(i)] mean")
            #expect(Tolerance.isClose(r.standardError, sd, rel: 1e-12), "[\(i)] sd")
            #expect(Tolerance.isClose(r.ciLow, e["ci_low"], rel: 1e-12, floor: sd), "[\(i)] ci_low")
            #expect(Tolerance.isClose(r.ciHigh, e["ci_high"], rel: 1e-12, floor: sd), "[\(i)] ci_high")
            #expect(Tolerance.isCloseProbability(try #require(r.chanceToWin), try #require(e["chance_to_win"])), "[\(i)] chance to win")
            #expect(Tolerance.isClose(r.expectedLoss, e["expected_loss"], rel: 1e-8, floor: 1e-14 * sd), "[\(i)] loss")
            #expect(r.pValue == nil)
        }
    }

    @Test("Bayesian proportions and ratios with a flat prior: the credible interval is statsmodels' Wald interval")
    func bayesianFlatPrior() throws {
        for metric in ["proportion", "ratio"] {
            for (i, row) in try Self.rows("comparisons", metric).enumerated() where (row["alternative"] as? String ?? "two-sided") == "two-sided" {
                let r = try Self.run(try Self.request(row, ["metric": metric, "method": "bayesian"])).treatments[0].comparison
                let e = try Self.expected(row)
                let width = try #require(e.ci_high) - (try #require(e.ci_low))
                #expect(Tolerance.isClose(r.upliftAbs, e.uplift_abs, rel: 1e-9, floor: width), "\(metric)[\(i)] mean")
                #expect(Tolerance.isClose(r.ciLow, e.ci_low, rel: 1e-9, floor: width), "\(metric)[\(i)] ci_low")
                #expect(Tolerance.isClose(r.ciHigh, e.ci_high, rel: 1e-9, floor: width), "\(metric)[\(i)] ci_high")
                #expect(r.pValue == nil && r.chanceToWin != nil)
            }
        }
    }

    @Test("CUPED through the settings: the OLS coefficient, θ and statsmodels' interval for k = 1…12")
    func cuped() throws {
        let rows = try Self.rows("cuped")
        #expect(rows.count == 12)
        for (i, row) in rows.enumerated() {
            func arm(_ key: String) throws -> [String: Any] {
                let a = try #require(row[key] as? [String: Any])
                return [
                    "n": try #require(a["n"]), "sum": try #require(a["sum_y"]), "sum_squares": try #require(a["sum_yy"]),
                    "sum_x": try #require(a["sum_x"]), "sum_xy": try #require(a["sum_xy"]), "sum_xx": try #require(a["sum_xx"]),
                ]
            }
            let request = try Self.request(row, ["metric": "mean", "cuped": true, "control": try arm("control"), "treatment": try arm("treatment")])
            let r = try #require(try Self.run(request).treatments[0].cuped)
            let e = try #require(row["expected"] as? [String: Any])
            func value(_ key: String) throws -> Double { try #require(e[key] as? Double) }
            let width = try value("ci_high") - value("ci_low")
            #expect(Tolerance.isClose(r.comparison.upliftAbs, try value("ols_treatment_coef"), rel: 1e-9, floor: width * 1e-3), "case \(i) estimate")
            for (j, theta) in try #require(e["theta"] as? [Double]).enumerated() {
                #expect(Tolerance.isClose(r.theta[j], theta, rel: 1e-8, floor: 1e-6), "case \(i) θ[\(j)]")
            }
            #expect(Tolerance.isClose(r.comparison.standardError, try value("std_error"), rel: 1e-9), "case \(i) se")
            #expect(Tolerance.isClose(r.varianceReduction, try value("variance_reduction"), rel: 1e-8), "case \(i) reduction")
            #expect(Tolerance.isClose(r.comparison.ciLow, try value("ci_low"), rel: 1e-9, floor: width), "case \(i) ci_low")
            #expect(Tolerance.isClose(r.comparison.ciHigh, try value("ci_high"), rel: 1e-9, floor: width), "case \(i) ci_high")
            #expect(Tolerance.isClose(r.comparison.pValue, try value("p_value"), rel: 1e-8, floor: 1e-300), "case \(i) p")
        }
    }

    @Test("Holm and Benjamini–Hochberg across treatments (statsmodels multipletests), and the chosen correction")
    func multipleTesting() throws {
        let rows = try Self.rows("comparisons", "proportion").prefix(5)
        let control = try #require(rows.first?["control"])
        let treatments = rows.map { $0["treatment"] as Any }
        for correction in Analysis.Settings.Correction.allCases {
            let request = try Self.request(
                [:], ["control": control, "treatments": treatments, "correction": correction.rawValue])
            #expect(request.isMultiArm)
            let result = try Self.run(request)
            let p = result.treatments.map { $0.comparison.pValue ?? 1 }
            let holm = MultipleTesting.holm(p)
            let bh = MultipleTesting.benjaminiHochberg(p)
            for (k, t) in result.treatments.enumerated() {
                #expect(t.pValueHolm == holm[k] && t.pValueBH == bh[k])
                let chosen: Double =
                    switch correction {
                    case .none: p[k]
                    case .holm: holm[k]
                    case .benjaminiHochberg: bh[k]
                    }
                #expect(t.pValueAdjusted == chosen)
            }
            #expect(result.multiArm == MultiArmComparison(comparisons: result.treatments.map(\.comparison)))
        }
    }
}
