import Foundation
import HoldoutModel
import HoldoutStore
import Testing

/// The store workflow through the real binary: create, assign, import, check, quality, results —
/// on SQLite, and on PostgreSQL when HOLDOUT_TEST_POSTGRES_URL is set.
@Suite("holdout store commands", .serialized)
struct StoreCLITests {
    static var databases: [String] {
        ProcessInfo.processInfo.environment["HOLDOUT_TEST_POSTGRES_URL"] == nil ? ["sqlite"] : ["sqlite", "postgres"]
    }

    /// A fresh database for the engine and a clean-up.
    static func fresh(_ engine: String, in directory: URL) async throws -> (String, @Sendable () async -> Void) {
        if engine == "sqlite" { return (directory.appendingPathComponent("cli.sqlite").path, {}) }
        let base = try #require(ProcessInfo.processInfo.environment["HOLDOUT_TEST_POSTGRES_URL"])
        let name = "holdout_cli_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try await Store.executeOnServer(url: base, "CREATE DATABASE \(name)")
        var components = try #require(URLComponents(string: base))
        components.path = "/" + name
        return (try #require(components.string), { try? await Store.executeOnServer(url: base, "DROP DATABASE IF EXISTS \(name) WITH (FORCE)") })
    }

    @Test("the seed 001 workflow end to end", arguments: databases)
    func workflow(engine: String) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let (database, cleanUp) = try await Self.fresh(engine, in: directory)
        func run(_ arguments: [String], stdin: String? = nil) async throws -> CLI.Run {
            try await CLI.run(arguments + ["--database", database], stdin: stdin)
        }
        if engine == "postgres" {
            // A server database is migrated on purpose, not on first use.
            let unmigrated = try await run(["experiment", "list"])
            #expect(unmigrated.status != 0 && unmigrated.stderr.contains("holdout db migrate"), "\(unmigrated.stderr)")
            #expect(try await run(["db", "migrate"]).status == 0)
        }
        let created = try await run([
            "experiment", "create", "--key", "email-q1", "--name", "Email holdout Q1", "--variants", "control=0.5,treatment=0.5",
            "--start", "2026-03-01", "--end", "2026-03-31T23:59:59Z", "--json",
        ]).json()
        #expect(created["key"] as? String == "email-q1" && created["status"] as? String == "draft")
        #expect(try await run(["experiment", "set-status", "email-q1", "running"]).status == 0)
        let invalid = try await run(["experiment", "set-status", "email-q1", "draft"])
        #expect(invalid.status != 0 && invalid.stderr.contains("cannot move 'email-q1' from running to draft"))

        let profiles = (0..<400).map { "user_\($0)" }
        let ids = directory.appendingPathComponent("ids.txt")
        try profiles.joined(separator: "\n").write(to: ids, atomically: true, encoding: .utf8)
        let assigned = try await run(["assign", "--experiment", "email-q1", "--file", ids.path, "--at", "2026-03-01T00:00:00Z", "--json"]).json()
        #expect(assigned["assigned"] as? Int == 400 && assigned["new"] as? Int == 400)
        let treatment = try #require(assigned["treatment"] as? Int)
        #expect((assigned["control"] as? Int ?? 0) + treatment == 400)
        let again = try await run(["assign", "--experiment", "email-q1", "--profiles", "user_1,user_2", "--json"]).json()
        #expect(again["new"] as? Int == 0)
        let one = try await run(["assignment", "--experiment", "email-q1", "--profile", "user_1", "--json"]).json()
        #expect(one["assigned"] as? Bool == true)

        // Exposures for half the units (no variant logged), outcomes for a fifth.
        var exposures = "profile_id,exposure_ts,variant,campaign_id,message_id\n"
        var outcomes = "profile_id,conversion_ts,value\n"
        for (i, p) in profiles.enumerated() {
            if i % 2 == 0 { exposures += "\(p),2026-03-02T10:00:00Z,,email_q1,m\(i)\n" }
            if i % 5 == 0 { outcomes += "\(p),2026-03-03T10:00:00Z,\(Double(i % 7) + 0.5)\n" }
        }
        exposures += "bad,yesterday,,,\n"
        let exposureFile = directory.appendingPathComponent("exposures.csv")
        try exposures.write(to: exposureFile, atomically: true, encoding: .utf8)
        let outcomeFile = directory.appendingPathComponent("outcomes.csv")
        try outcomes.write(to: outcomeFile, atomically: true, encoding: .utf8)
        let imported = try await run(["import", "exposures", "--experiment", "email-q1", "--file", exposureFile.path, "--json"]).json()
        #expect(imported["inserted"] as? Int == 200 && imported["rejected"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: exposureFile.path + ".rejects.csv"))
        let outcomeImport = try await run(["import", "outcomes", "--experiment", "email-q1", "--file", outcomeFile.path, "--json"]).json()
        #expect(outcomeImport["inserted"] as? Int == 80)
        let reimport = try await run(["import", "outcomes", "--experiment", "email-q1", "--file", outcomeFile.path, "--json"]).json()
        #expect(reimport["inserted"] as? Int == 0 && reimport["duplicates"] as? Int == 80)

        let quality = try await run(["quality", "--experiment", "email-q1", "--json"]).json()
        let day = try #require((quality["days"] as? [[String: Any]])?.first)
        #expect(day["assigned"] as? Int == 400 && day["exposed"] as? Int == 200)
        #expect((day["exposure_rate"] as? NSNumber)?.doubleValue == 0.5)

        let check = try await run(["check", "--experiment", "email-q1", "--json"])
        #expect(check.status == 0, "\(check.stdout)")

        let results = try await run(["results", "--experiment", "email-q1", "--mode", "itt", "--json"]).json()
        for key in [
            "experiment_id", "status", "treatment", "control", "uplift_abs", "uplift_rel", "ci_low", "ci_high", "p_value",
            "insufficient_data", "analysis_mode", "srm", "sequential", "revenue",
        ] {
            #expect(results[key] != nil, "results lack \(key)")
        }
        #expect(results["analysis_mode"] as? String == "itt")
        let control = try #require(results["control"] as? [String: Any])
        let treated = try #require(results["treatment"] as? [String: Any])
        #expect((control["n"] as? Int ?? 0) + (treated["n"] as? Int ?? 0) == 400)
        #expect((control["conversions"] as? Int ?? 0) + (treated["conversions"] as? Int ?? 0) == 80)
        let exposure = try await run(["results", "--experiment", "email-q1", "--mode", "exposure", "--json"]).json()
        let exposedControl = try #require(exposure["control"] as? [String: Any])
        let exposedTreatment = try #require(exposure["treatment"] as? [String: Any])
        #expect((exposedControl["n"] as? Int ?? 0) + (exposedTreatment["n"] as? Int ?? 0) == 200)

        let missing = try await run(["results", "--experiment", "nope", "--mode", "itt"])
        #expect(missing.status != 0 && missing.stderr.contains("no experiment with key 'nope'"))
        let noMode = try await run(["results", "--experiment", "email-q1"])
        #expect(noMode.status != 0 && noMode.stderr.contains("--mode"))
        await cleanUp()
    }
}
