import Foundation
import Testing

@Suite("holdout uplift metrics", .serialized)
struct UpliftCommandTests {
    /// The uplift fixture (Scripts/reference/uplift_metrics_reference.py: scikit-uplift 0.5.1, causalml 0.18).
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HoldoutUpliftTests/Fixtures/uplift_metrics.json")

    @Test("a scored CSV's metrics equal scikit-uplift's and causalml's (1e-9)")
    func metrics() async throws {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: Self.fixture)) as? [String: Any]
        let cases = try #require(object?["cases"] as? [[String: Any]])
        let untied = try #require(cases.first { $0["name"] as? String == "untied_200" })
        let scores = try #require(untied["score"] as? [Double])
        let treatment = try #require(untied["treatment"] as? [Int])
        let outcomes = try #require(untied["outcome"] as? [Double])
        var csv = "score,treated,converted\n"
        for i in scores.indices { csv += "\(scores[i]),\(treatment[i]),\(outcomes[i])\n" }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("uplift-\(UUID().uuidString).csv").path
        try csv.write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLI.run([
            "uplift", "metrics", "--csv", path, "--score-column", "score", "--treatment-column", "treated", "--outcome-column", "converted", "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try run.json()
        func close(_ a: Double?, _ b: Double?, _ label: String) {
            guard let a, let b else {
                Issue.record("\(label): missing")
                return
            }
            #expect(abs(a - b) <= 1e-9 * max(abs(b), 1), "\(label): \(a) vs \(b)")
        }
        for key in ["uplift_auc_score", "qini_auc_score", "qini_auc_score_no_negative_effect"] {
            close(number(json, key), untied[key] as? Double, key)
        }
        let causal = try #require(json["causalml"] as? [String: Any])
        let expectedCausal = try #require(untied["causalml"] as? [String: Double])
        close(number(causal, "auuc_score"), expectedCausal["auuc_score"], "causalml auuc_score")
        close(number(causal, "qini_score"), expectedCausal["qini_score"], "causalml qini_score")
        let atK = try #require(json["uplift_at_k"] as? [String: Any])
        let expectedAtK = try #require(untied["uplift_at_k"] as? [[String: Any]])
        for strategy in ["overall", "by_group"] {
            let expected = expectedAtK.first { $0["k"] as? Double == 0.3 && $0["k_is_count"] as? Bool == false && $0["strategy"] as? String == strategy }
            close(number(atK, strategy), expected?["value"] as? Double, "uplift_at_k \(strategy)")
        }
    }

    @Test("a missing column is a one-line error naming it")
    func missingColumn() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("uplift-\(UUID().uuidString).csv").path
        try "score,treated\n0.1,1\n0.2,0\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let run = try await CLI.run(["uplift", "metrics", "--csv", path, "--score-column", "score", "--treatment-column", "treated", "--outcome-column", "y"])
        #expect(run.status != 0 && run.stderr.contains("'y'") && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    }
}
