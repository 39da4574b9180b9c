import Foundation
import HoldoutStore
import Testing

/// `holdout assets` and `holdout sql run` through the real binary, on SQLite.
@Suite("holdout assets and sql run")
struct SemanticCLITests {
    @Test("assets --json is the contract")
    func assets() async throws {
        let out = try await CLI.run(["assets", "--json"]).json()
        let assets = try #require(out["assets"] as? [[String: Any]])
        #expect(assets.compactMap { $0["asset_name"] as? String } == SemanticContract.assets.map(\.name))
        #expect((assets.first?["columns"] as? [[String: Any]])?.count == SemanticContract.assets.first?.columns.count)
    }

    @Test("a query on standard input is read up to 1 MiB: at the limit the guard decides, one byte more is an error")
    func standardInputLimit() async throws {
        let limit = 1 << 20
        let atLimit = try await CLI.run(["sql", "check", "--json", "-"], stdin: "SELECT 1" + String(repeating: " ", count: limit - 8))
        #expect(atLimit.status == 3, "\(atLimit.stderr)")
        #expect(try atLimit.json()["reason"] as? String == "the query is longer than 65536 bytes")
        let over = try await CLI.run(["sql", "check", "-"], stdin: String(repeating: " ", count: limit + 1))
        #expect(over.status != 0 && over.status != 3)
        #expect(over.stderr.contains("the query on standard input is longer than 1048576 bytes"), "\(over.stderr)")
    }

    @Test("sql run: the views agree with results, refusals exit 3, the row cap and the time limit say so")
    func run() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-sqlrun-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("cli.sqlite").path
        func run(_ arguments: [String]) async throws -> CLI.Run { try await CLI.run(arguments + ["--database", database]) }
        #expect(try await run(["experiment", "create", "--key", "email-q1", "--name", "Email", "--variants", "control=0.5,treatment=0.5"]).status == 0)
        let ids = directory.appendingPathComponent("ids.txt")
        try (0..<300).map { "user_\($0)" }.joined(separator: "\n").write(to: ids, atomically: true, encoding: .utf8)
        #expect(try await run(["assign", "--experiment", "email-q1", "--file", ids.path, "--at", "2026-03-01T00:00:00Z"]).status == 0)

        let results = try await run(["results", "--experiment", "email-q1", "--mode", "itt", "--json"]).json()
        let arms = try #require(results["arms"] as? [[String: Any]])
        let view = try await run([
            "sql", "run", "--json",
            "SELECT variation_id, n_users FROM agg_experiment_metric_by_variant WHERE experiment_id = 'email-q1' AND analysis_mode = 'itt' ORDER BY variation_id",
        ]).json()
        #expect(view["columns"] as? [String] == ["variation_id", "n_users"])
        let rows = try #require(view["rows"] as? [[Any]])
        #expect(rows.map { $0[0] as? String } == arms.map { $0["variant"] as? String })
        #expect(rows.map { $0[1] as? Int } == arms.map { $0["n"] as? Int })
        #expect(view["truncated"] as? Bool == false)

        let refused = try await run(["sql", "run", "--json", "SELECT key_hash FROM api_keys"])
        #expect(refused.status == 3)
        #expect(try refused.json()["reason"] as? String == "relation \"api_keys\" is not an allowed asset")

        let capped = try await run(["sql", "run", "--json", "--max-rows", "5", "SELECT unit_id FROM fct_experiment_cohort"])
        #expect(capped.status == 0 && capped.stderr.contains("truncated"))
        #expect(try capped.json()["truncated"] as? Bool == true)

        let cross = "SELECT COUNT(*) FROM fct_experiment_cohort a, fct_experiment_cohort b, fct_experiment_cohort c, fct_experiment_cohort d"
        let start = Date()
        let slow = try await run(["sql", "run", "--timeout-ms", "300", cross])
        #expect(slow.status == 1 && slow.stderr.contains("interrupted"), "\(slow.stderr)")
        #expect(Date().timeIntervalSince(start) < 10)
    }
}
