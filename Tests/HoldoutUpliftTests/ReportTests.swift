import Foundation
import Testing

@testable import HoldoutUplift

@Suite("The report's JSON")
struct ReportTests {
    @Test("snake_case keys, each block names its convention, no NaN; decodes back to the same value")
    func json() throws {
        let c = try #require(UpliftFixture.cases.first { $0.name == "treated_on_top_120" })
        let sample = try UpliftSample(scores: c.score, treatment: c.treatment, outcomes: c.outcome)
        let report = try UpliftMetrics.Report(sample, k: .fraction(0.3), bins: 10, bootstrap: .init(replicates: 20, seed: 9))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let data = try encoder.encode(report)
        let text = try #require(String(data: data, encoding: .utf8))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(
            Set(object.keys).isSuperset(of: [
                "n", "convention", "uplift_auc_score", "qini_auc_score", "qini_auc_score_no_negative_effect", "uplift_at_k", "weighted_average_uplift",
                "causalml", "bootstrap", "undefined",
            ]))
        #expect(object["convention"] as? String == "scikit-uplift 0.5.1")
        let causal = try #require(object["causalml"] as? [String: Any])
        #expect(causal["convention"] as? String == "causalml 0.18 normalized")
        #expect(Set(causal.keys) == ["convention", "auuc_score", "qini_score"])
        let atK = try #require(object["uplift_at_k"] as? [String: Any])
        #expect(atK["k"] as? Double == 0.3)
        // Every treated row outranks every control row: the top 30% has no control row.
        #expect(atK["overall"] is NSNull)
        #expect(text.contains("\"metric\":\"uplift_at_k.overall\""))
        #expect(!text.lowercased().contains("nan") && !text.contains("inf"))
        #expect(try JSONDecoder().decode(UpliftMetrics.Report.self, from: data) == report)
    }
}
