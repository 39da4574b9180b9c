import Foundation
import Testing

@Suite("holdout simulate and calibrate", .serialized)
struct SimulateCommandTests {
    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-sim-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test("simulate writes observed.csv, truth.json and truth.csv with seed 004's columns")
    func files() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try await CLI.run(["simulate", "--scenario", "criteo-like", "--visitors", "5000", "--seed", "9", "--out", dir.path, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try run.json()
        #expect(report["visitors"] as? Int == 5000)
        let observed = try String(contentsOf: dir.appendingPathComponent("observed.csv"), encoding: .utf8).split(separator: "\n")
        #expect(observed.count == 5001)
        #expect(
            observed[0]
                == "visitor_id,experiment_id,variant,converted,revenue,orders_count,sessions_count,f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11")
        #expect(observed[1].split(separator: ",").count == 19)
        #expect(Set(observed.dropFirst().map { $0.split(separator: ",")[2] }) == ["control", "treatment"])
        let truthRows = try String(contentsOf: dir.appendingPathComponent("truth.csv"), encoding: .utf8).split(separator: "\n")
        #expect(truthRows[0] == "visitor_id,cate,p0,p1")
        #expect(truthRows.count == 5001)
        let truth = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("truth.json"))) as? [String: Any])
        #expect(truth["metric_id"] as? String == "conversion_rate")
        #expect(truth["metric_family"] as? String == "binary")
        #expect(truth["scenario"] as? String == "criteo-like")
        #expect(truth["seed"] as? Int == 9)
        // The effect is the mean of the per-visitor CATE in truth.csv (12 decimals each).
        let cates = truthRows.dropFirst().map { Double($0.split(separator: ",")[1])! }
        let effect = try #require(number(truth, "effect"))
        #expect(abs(cates.reduce(0, +) / Double(cates.count) - effect) < 1e-11)
        let components = try #require(truth["effect_components"] as? [String: Any])
        #expect(number(components, "conv_effect") == effect)
    }

    @Test("--print-config round-trips: simulating the printed YAML gives the same bytes as the scenario")
    func printConfig() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let printed = try await CLI.run(["simulate", "--scenario", "revenue-hurdle", "--print-config"])
        #expect(printed.status == 0)
        #expect(printed.stdout.contains("id: revenue_per_visitor"))
        let yaml = dir.appendingPathComponent("my.yaml")
        try printed.stdout.write(to: yaml, atomically: true, encoding: .utf8)
        let a = try await CLI.run(["simulate", "--config", yaml.path, "--visitors", "3000", "--out", dir.appendingPathComponent("a").path])
        let b = try await CLI.run(["simulate", "--scenario", "revenue-hurdle", "--visitors", "3000", "--out", dir.appendingPathComponent("b").path])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        for file in ["observed.csv", "truth.csv"] {
            let x = try Data(contentsOf: dir.appendingPathComponent("a/\(file)"))
            let y = try Data(contentsOf: dir.appendingPathComponent("b/\(file)"))
            #expect(x == y, "\(file) differs")
        }
        let header = try String(contentsOf: dir.appendingPathComponent("a/truth.csv"), encoding: .utf8).prefix(60)
        #expect(header.hasPrefix("visitor_id,cate,p0,p1,m0,m1,sigma0,sigma1\n"))
    }

    @Test("--assignment follows an external per-visitor assignment exactly and names a bad line")
    func externalAssignment() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let levels = (0..<900).map { ["control", "treatment_1", "2"][$0 % 3] }
        let file = dir.appendingPathComponent("levels.txt")
        try (levels.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        let run = try await CLI.run([
            "simulate", "--scenario", "three-arm", "--assignment", file.path, "--out", dir.appendingPathComponent("out").path, "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let variants = try #require(try run.json()["variants"] as? [[String: Any]])
        #expect(variants.map { $0["visitors"] as? Int } == [300, 300, 300])
        let rows = try String(contentsOf: dir.appendingPathComponent("out/observed.csv"), encoding: .utf8).split(separator: "\n").dropFirst()
        #expect(rows.enumerated().allSatisfy { i, row in row.split(separator: ",")[2] == ["control", "treatment_1", "treatment_2"][i % 3] })
        try "control\nplacebo\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try await CLI.run(["simulate", "--scenario", "three-arm", "--assignment", file.path, "--out", dir.path])
        #expect(bad.status != 0 && bad.stderr.contains("--assignment: line 2: 'placebo' is not a variant"), "\(bad.stderr)")
        let short = try await CLI.run(["simulate", "--scenario", "three-arm", "--assignment", file.path, "--visitors", "5", "--out", dir.path])
        #expect(short.status != 0)
    }

    @Test("bad configs and flags fail with one line naming the field")
    func errors() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let yaml = dir.appendingPathComponent("bad.yaml")
        try """
        name: bad
        features: {columns: [f0, f1]}
        metric:
          id: conversion_rate
          p0: sigmoid(-3 + f0)
          p1: sigmoid(-3 + f9)
        """.write(to: yaml, atomically: true, encoding: .utf8)
        let bad = try await CLI.run(["simulate", "--config", yaml.path, "--out", dir.path])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("bad.yaml: line 6: metric.p1: at column 14: unknown feature 'f9'"), "\(bad.stderr)")
        let unknown = try await CLI.run(["simulate", "--scenario", "nope", "--out", dir.path])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown scenario 'nope' (known: criteo-like"))
        let noOut = try await CLI.run(["simulate", "--scenario", "null"])
        #expect(noOut.status != 0 && noOut.stderr.contains("--out DIR is required"))
        let ztest = try await CLI.run(["calibrate", "--scenario", "revenue-hurdle", "--estimator", "ztest", "--runs", "10", "--n-per-run", "100"])
        #expect(ztest.status != 0 && ztest.stderr.contains("use welch, cuped, sequential or bayesian"), "\(ztest.stderr)")
        let estimator = try await CLI.run(["calibrate", "--scenario", "null", "--estimator", "t-test"])
        #expect(estimator.status != 0 && estimator.stderr.contains("unknown estimator 't-test'"))
    }

    @Test("calibrate --json reports coverage, bias, RMSE and rejection with standard errors")
    func calibrateJSON() async throws {
        let run = try await CLI.run([
            "calibrate", "--scenario", "null", "--estimator", "ztest,sequential", "--runs", "200", "--n-per-run", "2000", "--looks", "20",
            "--seed", "4", "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try #require(try run.json()["rows"] as? [[String: Any]])
        #expect(rows.count == 2)
        let byName = Dictionary(uniqueKeysWithValues: rows.map { ($0["estimator"] as! String, $0) })
        for key in ["coverage", "coverage_se", "bias", "bias_se", "rmse", "rmse_se", "rejection_rate", "rejection_se", "true_effect"] {
            #expect(number(byName["ztest"]!, key) != nil, "missing \(key)")
        }
        #expect(byName["ztest"]!["is_null"] as? Bool == true)
        #expect(number(byName["ztest"]!, "rejection_rate")! > number(byName["sequential"]!, "rejection_rate")!)
        let markdown = try await CLI.run(["calibrate", "--scenario", "null", "--estimator", "welch", "--runs", "20", "--n-per-run", "500", "--markdown"])
        #expect(markdown.status == 0 && markdown.stdout.contains("| null | welch | treatment |"))
    }

    @Test("calibrate --scenario geo-… runs the geo harness: same row keys, the geo estimators, designs compared, clear errors")
    func calibrateGeo() async throws {
        let run = try await CLI.run(["calibrate", "--scenario", "geo-spend", "--estimator", "tbr,trimmed-match", "--runs", "20", "--seed", "3", "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try #require(try run.json()["rows"] as? [[String: Any]])
        #expect(rows.map { $0["estimator"] as? String } == ["tbr", "trimmed-match"])
        for key in ["coverage", "coverage_se", "bias", "bias_se", "rmse", "rmse_se", "rejection_rate", "rejection_se", "true_effect", "mean_ci_width"] {
            #expect(number(rows[0], key) != nil, "missing \(key)")
        }
        #expect(rows[0]["metric"] as? String == "incremental_response" && rows[1]["metric"] as? String == "iroas")
        #expect(number(rows[1], "true_effect").map { abs($0 - 2) < 1e-9 } == true)
        let designs = try await CLI.run(["calibrate", "--scenario", "geo-heterogeneous", "--compare-designs", "--runs", "10", "--markdown"])
        #expect(designs.status == 0 && designs.stdout.contains("| weighted |") && designs.stdout.contains("| matched-pairs |"), "\(designs.stderr)")
        let noSpend = try await CLI.run(["calibrate", "--scenario", "geo-basic", "--estimator", "trimmed-match", "--runs", "10"])
        #expect(noSpend.status != 0 && noSpend.stderr.contains("needs spend"), "\(noSpend.stderr)")
        let unknown = try await CLI.run(["calibrate", "--scenario", "geo-basic", "--estimator", "ztest"])
        #expect(unknown.status != 0 && unknown.stderr.contains("unknown geo estimator 'ztest'"), "\(unknown.stderr)")
    }

    @Test("--into-database loads the experiment: results from the store agree with the simulated counts")
    func intoDatabase() async throws {
        let dir = Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let database = dir.appendingPathComponent("sim.sqlite").path
        let run = try await CLI.run([
            "simulate", "--scenario", "email-holdout", "--visitors", "3000", "--seed", "2", "--out", dir.appendingPathComponent("out").path,
            "--into-database", "--database", database, "--json",
        ])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try run.json()
        let loaded = try #require(report["database"] as? [String: Any])
        #expect(loaded["assignments"] as? Int == 3000)
        #expect(loaded["exposures"] as? Int == 3000)
        let variants = try #require(report["variants"] as? [[String: Any]])
        let conversions = variants.reduce(0) { $0 + ($1["conversions"] as! Int) }
        #expect(loaded["outcomes"] as? Int == conversions)
        let results = try await CLI.run(["results", "--experiment", "email-holdout", "--mode", "itt", "--database", database, "--json"])
        #expect(results.status == 0, "\(results.stderr)")
        let arms = try #require(try results.json()["arms"] as? [[String: Any]])
        for arm in arms {
            let simulated = try #require(variants.first { $0["variant"] as? String == arm["variant"] as? String })
            #expect(arm["n"] as? Int == simulated["visitors"] as? Int)
            #expect(arm["conversions"] as? Int == simulated["conversions"] as? Int)
        }
        let again = try await CLI.run([
            "simulate", "--scenario", "email-holdout", "--visitors", "3000", "--out", dir.appendingPathComponent("out2").path, "--into-database",
            "--database", database,
        ])
        #expect(again.status != 0 && again.stderr.contains("already exists"), "\(again.stderr)")
    }
}
