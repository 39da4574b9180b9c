import Foundation
import Testing

/// `holdout import orders` and `holdout geo …` through the real binary.
@Suite("holdout import orders and holdout geo", .serialized)
struct GeoCommandTests {
    static func withDirectory(_ body: (URL) async throws -> Void) async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("holdout-geo-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await body(directory)
    }

    /// 16 geos × 40 days of orders, revenue from subtotal − discounts.
    static func orders(_ directory: URL) throws -> URL {
        var csv = "order_id,created_at,ship_geohash,subtotal,discounts\n"
        var n = 0
        for day in 0..<40 {
            for geo in 0..<16 {
                let date = Calendar(identifier: .gregorian).date(byAdding: .day, value: day, to: Date(timeIntervalSince1970: 1_767_225_600))!
                let stamp = ISO8601DateFormatter().string(from: date)
                csv += "o\(n),\(stamp),g\(geo),\(50 + geo * 10 + (day * 7 + geo) % 13),\(geo % 3)\n"
                n += 1
            }
        }
        let file = directory.appendingPathComponent("orders.csv")
        try csv.write(to: file, atomically: true, encoding: .utf8)
        return file
    }

    @Test("import orders runs the step: --json carries incrementality; files and telemetry under --state-dir; idempotent")
    func importOrders() async throws {
        try await Self.withDirectory { directory in
            let database = directory.appendingPathComponent("db.sqlite").path
            let state = directory.appendingPathComponent("state").path
            let file = try Self.orders(directory)
            let arguments = ["import", "orders", "--tenant", "acme/eu", "--file", file.path, "--database", database, "--state-dir", state]
            let run = try await CLI.run(arguments + ["--json"])
            #expect(run.status == 0, "\(run.stderr)")
            let json = try run.json()
            #expect(json["inserted"] as? Int == 640 && json["rejected"] as? Int == 0)
            let step = try #require(json["incrementality"] as? [String: Any])
            #expect(step["status"] as? String == "success" && step["tenant_id"] as? String == "acme/eu")
            let path = try #require(step["assignment_path"] as? String)
            #expect(path.hasPrefix(state + "/analytics/experiments/geo_holdouts/acme%2Feu_") && FileManager.default.fileExists(atPath: path))
            let telemetry = try String(contentsOfFile: state + "/telemetry/experiments/geo_holdout_runs.jsonl", encoding: .utf8)
            #expect(telemetry.split(separator: "\n").count == 1 && telemetry.contains("\"event\":\"holdout_assigned\""))

            let again = try await CLI.run(arguments)
            #expect(again.status == 0)
            #expect(again.stdout.contains("orders: read 640, inserted 0, duplicates 640"), "\(again.stdout)")
            #expect(again.stdout.contains("incrementality: success"), "\(again.stdout)")

            // geo design on its own, and the panel.
            let design = try await CLI.run([
                "geo", "design", "--tenant", "acme/eu", "--database", database, "--state-dir", state, "--method", "stratified", "--json",
            ])
            #expect(design.status == 0, "\(design.stderr)")
            #expect((try design.json()["design"] as? [String: Any])?["method"] as? String == "stratified")
            let panel = directory.appendingPathComponent("panel.csv")
            let written = try await CLI.run(["geo", "panel", "--tenant", "acme/eu", "--database", database, "--out", panel.path, "--json"])
            #expect(written.status == 0, "\(written.stderr)")
            #expect(try written.json()["rows"] as? Int == 640)

            // Analyse the panel with the design file; then power.
            let analyze = try await CLI.run([
                "geo", "analyze", "--panel", panel.path, "--assignment", path, "--pre-start", "2026-01-01", "--test-start", "2026-01-29", "--test-end",
                "2026-02-09", "--json",
            ])
            #expect(analyze.status == 0, "\(analyze.stderr)")
            let report = try analyze.json()
            #expect((report["panel"] as? [String: Any])?["pre_days"] as? Int == 28)
            let methods = try #require(report["methods"] as? [String: Any])
            #expect(Set(methods.keys) == ["summary", "did", "tbr", "trimmed-match", "scm"])
            #expect((methods["tbr"] as? [String: Any])?["incremental"] is Double)
            #expect((methods["trimmed-match"] as? [String: Any])?["error"] != nil)  // no pairs, no cost
            // Synthetic control's options: --augment (λ cross-validated), --ridge, --permutations, --seed.
            let scmArguments = [
                "geo", "analyze", "--panel", panel.path, "--assignment", path, "--pre-start", "2026-01-01", "--test-start", "2026-01-29", "--test-end",
                "2026-02-09", "--method", "scm", "--json",
            ]
            func scm(_ extra: [String]) async throws -> [String: Any] {
                let run = try await CLI.run(scmArguments + extra)
                #expect(run.status == 0, "\(extra): \(run.stderr)")
                return try #require((try run.json()["methods"] as? [String: Any])?["scm"] as? [String: Any])
            }
            let plain = try await scm(["--permutations", "99", "--seed", "3"])
            #expect(plain["ridge"] is NSNull && plain["permutations"] as? Int == 99 && plain["seed"] as? Int == 3)
            #expect(NSDictionary(dictionary: try await scm(["--permutations", "99", "--seed", "3"])).isEqual(to: plain))
            let augmented = try await scm(["--augment", "--permutations", "99", "--seed", "3"])
            let lambda = try #require(augmented["ridge"] as? Double)
            #expect(lambda > 0)
            let fixed = try await scm(["--ridge", "0.5", "--permutations", "99"])
            #expect(fixed["ridge"] as? Double == 0.5)
            let tooFew = try await CLI.run(scmArguments + ["--permutations", "5"])
            #expect(tooFew.status != 0 && tooFew.stderr.contains("--permutations must be in 19…100000"), "\(tooFew.stderr)")
            let negative = try await CLI.run(scmArguments + ["--ridge=-1"])
            #expect(negative.status != 0 && negative.stderr.contains("--ridge must be a finite number ≥ 0"), "\(negative.stderr)")
            let power = try await CLI.run(["geo", "power", "--panel", panel.path, "--treatment-geos", "g1,g2,g3", "--test-days", "7", "--json"])
            #expect(power.status == 0, "\(power.stderr)")
            let tbrJSON = try power.json()
            #expect(tbrJSON["windows"] as? Int != nil && tbrJSON["method"] as? String == "tbr" && tbrJSON["permutations"] == nil)
            let scmPower = [
                "geo", "power", "--panel", panel.path, "--treatment-geos", "g1,g2,g3", "--test-days", "7", "--method", "scm", "--permutations", "39",
            ]
            let scm = try await CLI.run(scmPower + ["--json"])
            #expect(scm.status == 0, "\(scm.stderr)")
            let scmJSON = try scm.json()
            #expect(scmJSON["method"] as? String == "scm" && scmJSON["permutations"] as? Int == 39 && scmJSON["seed"] as? Int == 42, "\(scmJSON)")
            #expect(scmJSON["windows"] as? Int == 40 - 35 + 1 && (scmJSON["points"] as? [[String: Any]])?.count == 6, "\(scmJSON)")
            let scmText = try await CLI.run(scmPower)
            #expect(
                scmText.status == 0 && scmText.stdout.contains("placebo power (SCM, conformal test with 39 permutations, seed 42): 6 windows"),
                "\(scmText.stdout)")
        }
    }

    @Test("concurrent processes append whole telemetry lines and keep every design file")
    func concurrentProcesses() async throws {
        try await Self.withDirectory { directory in
            let database = directory.appendingPathComponent("db.sqlite").path
            let state = directory.appendingPathComponent("state").path
            let file = try Self.orders(directory)
            #expect(try await CLI.run(["import", "orders", "--tenant", "acme", "--file", file.path, "--database", database, "--state-dir", state]).status == 0)
            let processes = (0..<6).map { i -> Process in
                let process = Process()
                process.executableURL = CLI.binary
                process.arguments = ["geo", "design", "--tenant", "acme", "--database", database, "--state-dir", state, "--seed", "\(i)", "--json"]
                process.standardOutput = FileHandle.nullDevice
                process.standardError = FileHandle.nullDevice
                return process
            }
            for process in processes { try process.run() }
            try await CLI.offThePool { for process in processes { process.waitUntilExit() } }
            #expect(processes.allSatisfy { $0.terminationStatus == 0 })
            let lines = try String(contentsOfFile: state + "/telemetry/experiments/geo_holdout_runs.jsonl", encoding: .utf8).split(separator: "\n")
            #expect(lines.count == 7)
            for line in lines { #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) is [String: Any], "\(line)") }
            let files = try FileManager.default.contentsOfDirectory(atPath: state + "/analytics/experiments/geo_holdouts")
            #expect(files.count == 7 && files.allSatisfy { $0.hasPrefix("acme_") && $0.hasSuffix(".json") })
        }
    }

    @Test("errors name the file, line, geo or column and how to fix it")
    func errors() async throws {
        try await Self.withDirectory { directory in
            let database = directory.appendingPathComponent("db.sqlite").path
            let missing = try await CLI.run([
                "import", "orders", "--tenant", "t", "--file", directory.appendingPathComponent("nope.csv").path, "--database", database,
            ])
            #expect(missing.status != 0 && missing.stderr.contains("cannot read"), "\(missing.stderr)")
            let noGeo = directory.appendingPathComponent("nogeo.csv")
            try "order_id,created_at,zip,net_revenue\no1,2026-01-01T00:00:00Z,10001,5\n".write(to: noGeo, atomically: true, encoding: .utf8)
            let geoError = try await CLI.run(["import", "orders", "--tenant", "t", "--file", noGeo.path, "--database", database])
            #expect(
                geoError.status != 0 && geoError.stderr.contains("'ship_geohash' is missing") && geoError.stderr.contains("--geo-column"), "\(geoError.stderr)")
            // A step that fails (the state directory is a file) neither fails nor rolls back the import.
            let blocked = directory.appendingPathComponent("blocked")
            try "x".write(to: blocked, atomically: true, encoding: .utf8)
            let orders = try Self.orders(directory)
            let stepError = try await CLI.run([
                "import", "orders", "--tenant", "t", "--file", orders.path, "--database", database, "--state-dir", blocked.path, "--json",
            ])
            #expect(stepError.status == 0, "\(stepError.stderr)")
            let stepJSON = try stepError.json()
            #expect(stepJSON["inserted"] as? Int == 640)
            let failed = try #require(stepJSON["incrementality"] as? [String: Any])
            #expect(failed["status"] as? String == "error" && (failed["reason"] as? String)?.contains("--state-dir") == true, "\(failed)")
            let noTenant = try await CLI.run(["import", "orders", "--file", noGeo.path, "--database", database])
            #expect(noTenant.status != 0 && noTenant.stderr.contains("--tenant"))

            // A panel with a missing day, an assignment naming an unknown geo.
            let panel = directory.appendingPathComponent("panel.csv")
            try "date,geo,revenue\n2026-01-01,a,1\n2026-01-01,b,2\n2026-01-02,a,1\n".write(to: panel, atomically: true, encoding: .utf8)
            let assignment = directory.appendingPathComponent("assignment.csv")
            try "geo,group\na,control\nb,treatment\n".write(to: assignment, atomically: true, encoding: .utf8)
            let base = [
                "geo", "analyze", "--panel", panel.path, "--assignment", assignment.path, "--pre-start", "2026-01-01", "--test-start", "2026-01-02",
                "--test-end", "2026-01-02",
            ]
            let gap = try await CLI.run(base)
            #expect(gap.status != 0 && gap.stderr.contains("geo b has no row for 2026-01-02") && gap.stderr.contains("add a row with 0"), "\(gap.stderr)")
            try "date,geo,revenue\n2026-01-01,a,1\n2026-01-01,b,-2\n".write(to: panel, atomically: true, encoding: .utf8)
            let negative = try await CLI.run(base)
            #expect(negative.status != 0 && negative.stderr.contains("line 3, column revenue: negative value"), "\(negative.stderr)")
            try "date,geo,revenue\n2026-01-01,a,1\n2026-01-01,b,2\n".write(to: panel, atomically: true, encoding: .utf8)
            try "geo,group\na,control\nzz,treatment\n".write(to: assignment, atomically: true, encoding: .utf8)
            let unknown = try await CLI.run(base)
            #expect(unknown.status != 0 && unknown.stderr.contains("line 3: geo 'zz' is not in the panel"), "\(unknown.stderr)")
            let help = try await CLI.run(["geo", "analyze", "--help"])
            #expect(help.stdout.contains("Examples:") && help.stdout.contains("--augment"))
            let powerBase = ["geo", "power", "--panel", panel.path, "--treatment-geos", "b", "--test-days", "1"]
            let unknownMethod = try await CLI.run(powerBase + ["--method", "did"])
            #expect(unknownMethod.status != 0 && unknownMethod.stderr.contains("--method: 'did' is not one of tbr, scm"), "\(unknownMethod.stderr)")
            let fewPermutations = try await CLI.run(powerBase + ["--method", "scm", "--permutations", "5"])
            #expect(fewPermutations.status != 0 && fewPermutations.stderr.contains("--permutations must be in 19…10000"), "\(fewPermutations.stderr)")
            let tbrPermutations = try await CLI.run(powerBase + ["--permutations", "99"])
            #expect(tbrPermutations.status != 0 && tbrPermutations.stderr.contains("apply to --method scm only"), "\(tbrPermutations.stderr)")
            let powerHelp = try await CLI.run(["geo", "power", "--help"])
            #expect(
                powerHelp.stdout.contains("--permutations") && powerHelp.stdout.contains("--seed") && powerHelp.stdout.contains("scm"), "\(powerHelp.stdout)")
        }
    }

    @Test("geo analyze --trim-rate fixes trimmed match's trim rate; --max-trim-rate bounds the chosen one")
    func trimRateOptions() async throws {
        try await Self.withDirectory { directory in
            // 12 pairs over 40 days, cost in treatment geos during the last 10 days, iROAS 3 with
            // pair-specific noise (a deterministic formula).
            var panel = "date,geo,revenue,cost\n"
            var assignment = "geo,group,pair\n"
            for pair in 0..<12 {
                assignment += "c\(pair),control,\(pair)\nt\(pair),treatment,\(pair)\n"
            }
            for day in 0..<40 {
                let date = String(format: "2026-02-%02d", day % 28 + 1).replacingOccurrences(of: "2026-02", with: day < 28 ? "2026-02" : "2026-03")
                for pair in 0..<12 {
                    let base = 100.0 + Double(pair * 10) + Double((day * 7 + pair * 3) % 11)
                    let spend = day >= 30 ? Double(5 + pair % 4) : 0
                    let noise = Double((day * 13 + pair * 17) % 7) - 3
                    panel += "\(date),c\(pair),\(base),0\n\(date),t\(pair),\(base + 3 * spend + (day >= 30 ? noise * Double(pair % 3) : 0)),\(spend)\n"
                }
            }
            let panelFile = directory.appendingPathComponent("panel.csv")
            let assignmentFile = directory.appendingPathComponent("pairs.csv")
            try panel.write(to: panelFile, atomically: true, encoding: .utf8)
            try assignment.write(to: assignmentFile, atomically: true, encoding: .utf8)
            let base = [
                "geo", "analyze", "--panel", panelFile.path, "--assignment", assignmentFile.path, "--pre-start", "2026-02-01", "--test-start",
                "2026-03-03", "--test-end", "2026-03-12", "--method", "trimmed-match", "--json",
            ]
            func trimRate(_ extra: [String]) async throws -> Double? {
                let run = try await CLI.run(base + extra)
                #expect(run.status == 0, "\(run.stderr)")
                let methods = try #require(try run.json()["methods"] as? [String: Any])
                return (methods["trimmed-match"] as? [String: Any])?["trim_rate"] as? Double
            }
            #expect(try await trimRate(["--trim-rate", "0.1"]) == 0.1)
            #expect(try await trimRate(["--max-trim-rate", "0"]) == 0)
            let bad = try await CLI.run(base + ["--trim-rate", "0.3"])
            #expect(bad.status != 0 && bad.stderr.contains("--trim-rate must be in [0, --max-trim-rate = 0.25]"), "\(bad.stderr)")
        }
    }
}
