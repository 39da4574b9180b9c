import Foundation
import Testing

/// Runs the real `holdout` binary, as users and scripts do.
enum CLI {
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String

        func json() throws -> [String: Any] {
            let object = try JSONSerialization.jsonObject(with: Data(stdout.utf8))
            return try #require(object as? [String: Any], "stdout is not a JSON object: \(stdout)")
        }
    }

    /// The binary built next to this test bundle.
    static var binary: URL {
        var directory = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = directory.appendingPathComponent("holdout")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/holdout")
    }

    /// Runs the binary to its end on a thread of its own: waiting for a child blocks, and a test
    /// that blocked one of the concurrency pool's threads (two, on a 2-core machine) would stall
    /// every other test running in parallel — live-server tests then time out.
    ///
    /// - Parameter environment: the child's whole environment; nil inherits this process's.
    static func run(_ arguments: [String], stdin: String? = nil, environment: [String: String]? = nil) async throws -> Run {
        try await offThePool { try runBlocking(arguments, stdin: stdin, environment: environment) }
    }

    /// `body` on a new thread, awaited without holding a thread of the concurrency pool.
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    private static func runBlocking(_ arguments: [String], stdin: String?, environment: [String: String]?) throws -> Run {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        if let environment { process.environment = environment }
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        let stderrData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(
            status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
            stderr: String(decoding: stderrData, as: UTF8.self))
    }

    static var fixtures: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("HoldoutStatsTests/Fixtures")
    }
}

func number(_ object: [String: Any], _ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }

@Suite("holdout CLI", .serialized)
struct CLITests {
    @Test("power prints seed 001's response with the correct numbers")
    func power() async throws {
        let run = try await CLI.run([
            "power", "--baseline-rate", "0.05", "--mde", "0.01", "--alpha", "0.05", "--power", "0.8", "--treatment-rate", "0.5", "--json",
        ])
        #expect(run.status == 0)
        let json = try run.json()
        #expect(json["total_sample_size"] as? Int == 16_316)
        #expect(json["treatment_size"] as? Int == 8158)
        #expect(json["control_size"] as? Int == 8158)
        for key in ["baseline_rate", "mde", "alpha", "power"] { #expect(json[key] != nil, "missing \(key)") }
        let reduced = try await CLI.run(["power", "--baseline-rate", "0.05", "--mde", "0.2", "--relative", "--variance-reduction", "0.3", "--json"]).json()
        let full = try await CLI.run(["power", "--baseline-rate", "0.05", "--mde", "0.2", "--relative", "--json"]).json()
        #expect((reduced["total_sample_size"] as! Int) < (full["total_sample_size"] as! Int))
        let mde = try await CLI.run(["power", "--baseline-rate", "0.05", "--for-n", "16316", "--json"]).json()
        #expect(abs(number(mde, "mde_abs")! - 0.01) < 1e-4)
    }

    @Test("stats compare reads the issue's request and answers with every field")
    func compare() async throws {
        let request = #"{"metric":"proportion","control":{"n":200,"conversions":8},"treatment":{"n":800,"conversions":45},"alpha":0.05,"method":"frequentist"}"#
        let json = try await CLI.run(["stats", "compare", "--json"], stdin: request).json()
        #expect(number(json, "uplift_abs") == 0.01625)
        #expect(abs(number(json, "p_value")! - 0.3588869344279092) < 1e-12)
        for key in ["uplift_rel", "ci_low", "ci_high", "rel_ci_low", "rel_ci_high", "insufficient_data"] {
            #expect(json[key] != nil, "missing \(key)")
        }
        let bayes = try await CLI.run(["stats", "compare", "--json"], stdin: request.replacingOccurrences(of: "frequentist", with: "bayesian")).json()
        #expect(number(bayes, "chance_to_win") != nil && number(bayes, "expected_loss") != nil)
        let sequential = try await CLI.run(["stats", "compare", "--json"], stdin: request.replacingOccurrences(of: "frequentist", with: "sequential")).json()
        #expect(number(sequential, "ci_low")! < number(json, "ci_low")!)
        let means = #"{"metric":"mean","control":{"n":1000,"sum":5000,"sum_squares":40000},"treatment":{"n":1000,"sum":5400,"sum_squares":45000}}"#
        let m = try await CLI.run(["stats", "compare", "--json"], stdin: means).json()
        #expect(abs(number(m, "uplift_abs")! - 0.4) < 1e-12)
        #expect(number(m, "df") != nil)
    }

    @Test("stats compare with several treatments adjusts p-values")
    func compareMultiArm() async throws {
        let request = #"{"control":{"n":10000,"conversions":500},"treatments":[{"n":10000,"conversions":560},{"n":10000,"conversions":505}]}"#
        let json = try await CLI.run(["stats", "compare", "--json"], stdin: request).json()
        let result = try #require(json["result"] as? [String: Any])
        #expect((result["comparisons"] as? [Any])?.count == 2)
        #expect((result["p_value_holm"] as? [Any])?.count == 2)
    }

    @Test("stats srm flags a broken split")
    func srm() async throws {
        let ok = try await CLI.run(["stats", "srm", "--observed", "5000,5210", "--weights", "0.5,0.5", "--json"]).json()
        #expect(abs(number(ok, "p_value")! - 0.037682535473058755) < 1e-12)
        #expect(ok["srm_detected"] as? Bool == false)
        let broken = try await CLI.run(["stats", "srm", "--observed", "5000,5600", "--json"]).json()
        #expect(broken["srm_detected"] as? Bool == true)
    }

    @Test("stats analyze on a CSV agrees with scipy and statsmodels")
    func analyze() async throws {
        let csv = CLI.fixtures.appendingPathComponent("analyze_small.csv").path
        let expected = try #require(
            JSONSerialization.jsonObject(with: Data(contentsOf: CLI.fixtures.appendingPathComponent("analyze_small.json"))) as? [String: Any])
        func arm(_ report: [String: Any], _ name: String) throws -> [String: Any] {
            let comparisons = try #require(report["comparisons"] as? [[String: Any]])
            return try #require(comparisons.first { $0["arm"] as? String == name })
        }
        func close(_ a: Double?, _ b: Double?, _ label: String) {
            guard let a, let b else {
                Issue.record("\(label): missing")
                return
            }
            #expect(abs(a - b) <= 1e-9 * max(abs(b), 1e-3), "\(label): \(a) vs \(b)")
        }
        // Proportion, detected from 0/1 values.
        let p = try await CLI.run(["stats", "analyze", "--csv", csv, "--arm-column", "arm", "--control", "control", "--metric", "converted", "--json"]).json()
        #expect(p["metric_type"] as? String == "proportion")
        let pt = try arm(p, "treatment")
        let pe = try #require(expected["proportion"] as? [String: Any])
        for key in ["uplift_abs", "uplift_rel", "ci_low", "ci_high", "p_value"] { close(number(pt, key), number(pe, key), "proportion \(key)") }
        // Mean with CUPED.
        let m = try await CLI.run([
            "stats", "analyze", "--csv", csv, "--arm-column", "arm", "--control", "control", "--metric", "revenue", "--covariates", "x1,x2,x3", "--json",
        ]).json()
        #expect(m["metric_type"] as? String == "mean")
        let mt = try arm(m, "treatment")
        let me = try #require(expected["mean"] as? [String: Any])
        for key in ["uplift_abs", "uplift_rel", "ci_low", "ci_high", "rel_ci_low", "rel_ci_high", "p_value", "df"] {
            close(number(mt, key), number(me, key), "mean \(key)")
        }
        let cuped = try #require(mt["cuped"] as? [String: Any])
        let ce = try #require(expected["cuped"] as? [String: Any])
        for key in ["uplift_abs", "ci_low", "ci_high", "p_value", "variance_reduction"] { close(number(cuped, key), number(ce, key), "cuped \(key)") }
        let vb = try arm(m, "variant_b")
        let ve = try #require(expected["variant_b"] as? [String: Any])
        for key in ["uplift_abs", "ci_low", "ci_high", "p_value"] { close(number(vb, key), number(ve, key), "variant_b \(key)") }
        #expect(number(mt, "p_value_holm") != nil)
    }

    @Test(
        "bad input exits non-zero with a one-line message naming the problem",
        arguments: [
            (["stats", "compare", "--json"], #"{"control":{"n":10,"conversions":11},"treatment":{"n":10,"conversions":1}}"#, "cannot exceed"),
            (["stats", "compare", "--json"], #"{"control":{"n":-3,"conversions":1},"treatment":{"n":10,"conversions":1}}"#, "control.n"),
            (["stats", "compare", "--json"], #"{"control":{"n":10,"conversions":1}, "treatment": "#, "malformed JSON"),
            (
                ["stats", "compare", "--json"], #"{"control":{"n":10,"conversion":1},"treatment":{"n":10,"conversions":1}}"#,
                "control.conversion: unknown field"
            ),
            (["stats", "compare", "--json"], #"{"control":{"n":"ten","conversions":1},"treatment":{"n":10,"conversions":1}}"#, "control.n: expected a number"),
            (["stats", "srm", "--observed", "5000,5210", "--weights", "0.5,0.6"], nil, "sum to 1"),
            (["stats", "srm", "--observed", "5000,abc"], nil, "item 2 ('abc') is not a valid number"),
            (["power", "--baseline-rate", "0.05", "--mde", "0.01", "--bogus"], nil, "--bogus"),
            (["power", "--baseline-rate", "1.5", "--mde", "0.01"], nil, "baseline_rate"),
        ] as [([String], String?, String)])
    func errors(arguments: [String], stdin: String?, message: String) async throws {
        let run = try await CLI.run(arguments, stdin: stdin)
        #expect(run.status != 0)
        #expect(run.stderr.contains(message), "stderr: \(run.stderr)")
    }

    @Test("analyze names the missing column and the unparseable row")
    func analyzeErrors() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("units.csv")
        try "arm,revenue\ncontrol,1.5\ntreatment,2\ncontrol,abc\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try await CLI.run(["stats", "analyze", "--csv", file.path, "--arm-column", "arm", "--control", "control", "--metric", "revenue"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("line 4, column 'revenue': 'abc' is not a finite number"), "\(bad.stderr)")
        let missing = try await CLI.run(["stats", "analyze", "--csv", file.path, "--arm-column", "group", "--control", "control", "--metric", "revenue"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("column 'group' is not in the header"))
        // Quoted fields, CRLF line ends and a final line without a newline are read correctly.
        try "\"arm\",revenue\r\n\"control\",1\r\ncontrol,3\r\n\"treat, \"\"B\"\"\",4\r\ntreat\\, \"\"B\"\",x\r\n".write(
            to: file, atomically: true, encoding: .utf8)
        let quoted = try await CLI.run(["stats", "analyze", "--csv", file.path, "--arm-column", "arm", "--control", "control", "--metric", "revenue", "--json"])
        #expect(quoted.status != 0)  // the last line's revenue 'x' is reported…
        #expect(quoted.stderr.contains("line 5"), "\(quoted.stderr)")
        try "arm,revenue\r\n\"control\",1\r\ncontrol,3\r\n\"treat, \"\"B\"\"\",4\r\n\"treat, \"\"B\"\"\",6".write(to: file, atomically: true, encoding: .utf8)
        let good = try await CLI.run(["stats", "analyze", "--csv", file.path, "--arm-column", "arm", "--control", "control", "--metric", "revenue", "--json"])
            .json()
        let arms = try #require(good["arms"] as? [[String: Any]])
        #expect(arms.map { $0["arm"] as? String } == ["control", "treat, \"B\""])
        #expect(number(good, "uplift_abs") == 3)
    }
}
