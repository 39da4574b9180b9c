import Foundation
import Testing

@Suite("holdout uplift train, score and evaluate", .serialized)
struct UpliftModelCommandTests {
    /// The learners' fixture (Scripts/reference/uplift_learners_reference.py): f0…f11, treatment, conversion, spend, cate.
    static let fixture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("HoldoutUpliftTests/Fixtures/uplift_learners.csv")
    static let features = (0..<12).map { "f\($0)" }.joined(separator: ",")

    /// A scratch directory with train.csv (rows 1–4000 of the fixture) and test.csv (the other 2,000).
    final class Scratch {
        let directory: URL
        init() throws {
            directory = FileManager.default.temporaryDirectory.appendingPathComponent("uplift-cli-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let lines = try String(contentsOf: UpliftModelCommandTests.fixture, encoding: .utf8).split(separator: "\n").map(String.init)
            try (([lines[0]] + lines[1...4000]).joined(separator: "\n") + "\n").write(to: url("train.csv"), atomically: true, encoding: .utf8)
            try (([lines[0]] + lines[4001...]).joined(separator: "\n") + "\n").write(to: url("test.csv"), atomically: true, encoding: .utf8)
        }
        func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
        func path(_ name: String) -> String { url(name).path }
        func write(_ name: String, _ text: String) throws -> String {
            try text.write(to: url(name), atomically: true, encoding: .utf8)
            return path(name)
        }
        deinit { try? FileManager.default.removeItem(at: directory) }
    }

    static func train(_ scratch: Scratch, learner: String, base: String, out: String, extra: [String] = []) async throws -> CLI.Run {
        try await CLI.run(
            [
                "uplift", "train", "--csv", scratch.path("train.csv"), "--treatment-column", "treatment", "--outcome-column",
                learner == "transformed-outcome" ? "spend" : "conversion", "--features", features, "--learner", learner, "--base", base,
                "--trees", "20", "--model-out", scratch.path(out), "--json",
            ] + extra)
    }

    /// Compares two JSON values: numbers to 1e-12 (relative), everything else exactly.
    static func expectSame(_ a: Any?, _ b: Any?, _ path: String) {
        switch (a, b) {
        case (let a as [String: Any], let b as [String: Any]):
            #expect(Set(a.keys) == Set(b.keys), "\(path): keys \(a.keys.sorted()) vs \(b.keys.sorted())")
            for key in a.keys { expectSame(a[key], b[key], "\(path).\(key)") }
        case (let a as [Any], let b as [Any]):
            #expect(a.count == b.count, "\(path): lengths")
            for (i, (x, y)) in zip(a, b).enumerated() { expectSame(x, y, "\(path)[\(i)]") }
        case (let a as NSNumber, let b as NSNumber) where !(a is Bool):
            let x = a.doubleValue
            let y = b.doubleValue
            #expect(abs(x - y) <= 1e-12 * max(abs(y), 1), "\(path): \(x) vs \(y)")
        case (let a as String, let b as String):
            #expect(a == b, "\(path)")
        default:
            #expect(String(describing: a) == String(describing: b), "\(path): \(String(describing: a)) vs \(String(describing: b))")
        }
    }

    @Test("train → score → evaluate for every learner and base: evaluate equals `uplift metrics` on the scored file")
    func endToEnd() async throws {
        let scratch = try Scratch()
        for learner in ["s", "t", "x", "class-transformation", "transformed-outcome"] {
            for base in ["gbdt", "logistic"] {
                let label = "\(learner)/\(base)"
                let model = "\(learner)-\(base).json"
                let trained = try await Self.train(scratch, learner: learner, base: base, out: model)
                #expect(trained.status == 0, "\(label): \(trained.stderr)")
                let summary = try trained.json()
                #expect(summary["rows"] as? Int == 4000, "\(label)")
                let outcome = learner == "transformed-outcome" ? "spend" : "conversion"
                let scored = try await CLI.run([
                    "uplift", "score", "--csv", scratch.path("test.csv"), "--model", scratch.path(model), "--out", scratch.path("scores.csv"), "--json",
                ])
                #expect(scored.status == 0, "\(label): \(scored.stderr)")
                #expect(try scored.json()["rows"] as? Int == 2000, "\(label)")
                // The input's rows, as they were, plus the uplift column.
                let input = try String(contentsOf: scratch.url("test.csv"), encoding: .utf8).split(separator: "\n")
                let output = try String(contentsOf: scratch.url("scores.csv"), encoding: .utf8).split(separator: "\n")
                #expect(output.count == input.count, "\(label)")
                #expect(output[0] == input[0] + ",uplift")
                for i in 1..<output.count {
                    guard output[i].hasPrefix(input[i] + ","), Double(output[i].split(separator: ",").last!) != nil else {
                        Issue.record("\(label): row \(i) is '\(output[i])'")
                        break
                    }
                }
                // The scores do not depend on the thread count.
                let single = try await CLI.run([
                    "uplift", "score", "--csv", scratch.path("test.csv"), "--model", scratch.path(model), "--out", scratch.path("scores1.csv"), "--threads",
                    "1",
                ])
                #expect(single.status == 0, "\(label): \(single.stderr)")
                #expect(try Data(contentsOf: scratch.url("scores1.csv")) == Data(contentsOf: scratch.url("scores.csv")), "\(label)")
                // evaluate's numbers are `uplift metrics` on the scored file.
                let options = [
                    "--treatment-column", "treatment", "--outcome-column", outcome, "--k", "0.3", "--bins", "5", "--bootstrap", "20", "--seed", "3", "--json",
                ]
                let evaluated = try await CLI.run(["uplift", "evaluate", "--csv", scratch.path("test.csv"), "--model", scratch.path(model)] + options)
                #expect(evaluated.status == 0, "\(label): \(evaluated.stderr)")
                let metrics = try await CLI.run(["uplift", "metrics", "--csv", scratch.path("scores.csv"), "--score-column", "uplift"] + options)
                #expect(metrics.status == 0, "\(label): \(metrics.stderr)")
                let a = try evaluated.json()
                #expect(a["n"] as? Int == 2000)
                Self.expectSame(a, try metrics.json(), label)
            }
        }
    }

    @Test("an S-learner on trees ranks the held-out rows better than random, and the table output names the conventions")
    func evaluateTable() async throws {
        let scratch = try Scratch()
        #expect(try await Self.train(scratch, learner: "s", base: "gbdt", out: "s.json").status == 0)
        let evaluated = try await CLI.run([
            "uplift", "evaluate", "--csv", scratch.path("test.csv"), "--model", scratch.path("s.json"), "--treatment-column", "treatment",
            "--outcome-column", "conversion", "--json",
        ])
        let qini = try #require(number(try evaluated.json(), "qini_auc_score"))
        #expect(qini > 0.05, "Qini \(qini)")
        let table = try await CLI.run([
            "uplift", "evaluate", "--csv", scratch.path("test.csv"), "--model", scratch.path("s.json"), "--treatment-column", "treatment",
            "--outcome-column", "conversion",
        ])
        #expect(table.status == 0 && table.stdout.contains("scikit-uplift 0.5.1") && table.stdout.contains("causalml 0.18"), "\(table.stdout)")
        let help = try await CLI.run(["uplift", "train", "--help"])
        #expect(help.stdout.contains("Examples:") && help.stdout.contains("--json"))
    }

    @Test("refusals: features missing from the CSV, another format version, a corrupted file, bad rows")
    func refusals() async throws {
        let scratch = try Scratch()
        #expect(try await Self.train(scratch, learner: "t", base: "gbdt", out: "t.json").status == 0)
        func fails(_ arguments: [String], _ expected: [String], _ label: String) async throws {
            let run = try await CLI.run(arguments)
            #expect(run.status != 0, "\(label): exited 0")
            // One error line (train's progress lines may precede it).
            #expect(run.stderr.split(separator: "\n").filter { $0.hasPrefix("Error:") }.count == 1, "\(label): \(run.stderr)")
            for text in expected { #expect(run.stderr.contains(text), "\(label): \(run.stderr)") }
        }
        // A CSV without f3.
        let test = try String(contentsOf: scratch.url("test.csv"), encoding: .utf8)
        let noF3 = try scratch.write("no-f3.csv", test.replacingOccurrences(of: "f2,f3,f4", with: "f2,g3,f4"))
        try await fails(["uplift", "score", "--csv", noF3, "--model", scratch.path("t.json"), "--out", scratch.path("o.csv")], ["'f3'"], "missing feature")
        #expect(!FileManager.default.fileExists(atPath: scratch.path("o.csv")))
        // Another format version, a truncated file, a tree that does not fit its bin edges.
        let model = try String(contentsOf: scratch.url("t.json"), encoding: .utf8)
        let v2 = try scratch.write("v2.json", model.replacingOccurrences(of: "\"format_version\":1", with: "\"format_version\":2"))
        try await fails(["uplift", "score", "--csv", scratch.path("test.csv"), "--model", v2, "--out", scratch.path("o.csv")], ["version 2"], "version")
        let truncated = try scratch.write("truncated.json", String(model.prefix(model.count / 2)))
        try await fails(
            ["uplift", "score", "--csv", scratch.path("test.csv"), "--model", truncated, "--out", scratch.path("o.csv")], ["not a model file"], "truncated")
        var object = try #require(try JSONSerialization.jsonObject(with: Data(model.utf8)) as? [String: Any])
        var inner = try #require(object["model"] as? [String: Any])
        var treated = try #require(inner["treated"] as? [String: Any])
        var trees = try #require(treated["trees"] as? [[String: Any]])
        trees[0]["left"] = [5] + ((trees[0]["left"] as? [Int]) ?? []).dropFirst()
        treated["trees"] = trees
        inner["treated"] = treated
        object["model"] = inner
        let bad = scratch.path("bad.json")
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bad))
        try await fails(
            ["uplift", "evaluate", "--csv", scratch.path("test.csv"), "--model", bad, "--treatment-column", "treatment", "--outcome-column", "conversion"],
            ["corrupted", "tree 0"], "bad tree")
        // Bad rows for train.
        let header = "f0,f1,treatment,y\n"
        let rows: [(String, [String])] = [
            (header + "0.1,0.2,1,0\n0.3,abc,0,1\n", ["line 3", "'f1'", "'abc'"]),
            (header + "0.1,0.2,1,0\n0.3,0.4,2,1\n", ["line 3", "'treatment'", "'2'"]),
            (header + "0.1,0.2,1,0\n0.3,0.4,0,0.5\n", ["line 3", "'y'", "0 or 1"]),
            ("f0,f1,y\n0.1,0.2,1\n", ["--treatment-column", "'treatment'"]),
            ("", ["empty"]),
            (header, ["no rows"]),
        ]
        for (i, (text, expected)) in rows.enumerated() {
            let path = try scratch.write("bad\(i).csv", text)
            try await fails(
                [
                    "uplift", "train", "--csv", path, "--treatment-column", "treatment", "--outcome-column", "y", "--features", "f0,f1", "--learner", "s",
                    "--base", "logistic", "--model-out", scratch.path("m.json"),
                ], expected, "train case \(i)")
        }
        try await fails(
            [
                "uplift", "train", "--csv", scratch.path("train.csv"), "--treatment-column", "treatment", "--outcome-column", "conversion",
                "--features", "f0,f1", "--learner", "u", "--base", "gbdt", "--model-out", scratch.path("m.json"),
            ], ["--learner"], "unknown learner")
    }
}
