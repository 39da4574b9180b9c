import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import Testing

@Suite("The streaming CSV analysis as a library call")
struct StreamingAnalysisTests {
    /// The statistics suite's fixtures (written by Scripts/reference/generate.py: scipy and statsmodels).
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HoldoutStatsTests/Fixtures")
    static let csv = fixtures.appendingPathComponent("analyze_small.csv").path

    func expected(_ section: String) throws -> [String: Double] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixtures.appendingPathComponent("analyze_small.json")))
        let all = try #require(object as? [String: Any])
        return try #require(all[section] as? [String: Any]).compactMapValues { $0 as? Double }
    }

    func close(_ a: Double?, _ b: Double?, _ label: String) {
        guard let a, let b else {
            Issue.record("\(label): missing")
            return
        }
        // 1e-9 relative (1e-12 absolute near 0): the same tolerance as the CLI test.
        #expect(abs(a - b) <= 1e-9 * max(abs(b), 1e-3), "\(label): \(a) vs \(b)")
    }

    @Test("proportion detected from 0/1 values; matches statsmodels' pooled z-test")
    func proportion() throws {
        let report = try StreamingAnalysis.run(.init(path: Self.csv, armColumn: "arm", control: "control", metric: "converted"))
        #expect(report.metricType == .proportion && report.rows == 3_000)
        let t = try #require(report.comparisons.first { $0.arm == "treatment" })
        let e = try expected("proportion")
        close(t.comparison.upliftAbs, e["uplift_abs"], "uplift_abs")
        close(t.comparison.ciLow, e["ci_low"], "ci_low")
        close(t.comparison.ciHigh, e["ci_high"], "ci_high")
        close(t.comparison.pValue, e["p_value"], "p_value")
    }

    @Test("mean with CUPED on three covariates matches statsmodels OLS")
    func cuped() throws {
        let report = try StreamingAnalysis.run(
            .init(path: Self.csv, armColumn: "arm", control: "control", metric: "revenue", covariates: ["x1", "x2", "x3"]))
        let t = try #require(report.comparisons.first { $0.arm == "treatment" })
        let e = try expected("mean")
        close(t.comparison.pValue, e["p_value"], "welch p_value")
        close(t.comparison.degreesOfFreedom, e["df"], "df")
        let c = try #require(t.cuped)
        let ce = try expected("cuped")
        close(c.comparison.upliftAbs, ce["uplift_abs"], "cuped uplift_abs")
        close(c.comparison.pValue, ce["p_value"], "cuped p_value")
        close(c.varianceReduction, ce["variance_reduction"], "variance_reduction")
    }

    @Test("errors name the option or the line and column", arguments: [("nope", "converted", "--arm-column"), ("arm", "nope", "--metric")])
    func errors(arm: String, metric: String, field: String) throws {
        #expect {
            try StreamingAnalysis.run(.init(path: Self.csv, armColumn: arm, control: "control", metric: metric))
        } throws: { error in
            (error as? HoldoutError)?.field == field && (error as? HoldoutError)?.code == .invalidInput
        }
        #expect {
            try StreamingAnalysis.run(.init(path: Self.csv, armColumn: "arm", control: "ctl", metric: "converted"))
        } throws: { error in
            (error as? HoldoutError)?.message.hasPrefix("--control: no row has arm = 'ctl'") == true
        }
    }
}
