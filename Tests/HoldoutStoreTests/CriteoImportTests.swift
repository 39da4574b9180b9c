import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStore
import HoldoutTestSupport
import SQLKit
import Testing

/// `holdout import criteo` into the store, checked against counts taken from the file itself
/// and against closed forms (the SRM chi-squared with one degree of freedom).
@Suite("Criteo import")
struct CriteoImportTests {
    /// A deterministic Criteo-layout file: `rows` rows, about 85% treated, with visits,
    /// conversions (only among visits) and exposures (only among the treated), and features
    /// with many digits.
    static func file(rows: Int, seed: UInt64 = 7) -> (text: String, rows: [[String]]) {
        var state = seed
        func next() -> Double {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Double(state >> 11) * 0x1p-53
        }
        var text = "f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11,treatment,conversion,visit,exposure\n"
        var parsed: [[String]] = []
        for _ in 0..<rows {
            var fields = (0..<12).map { j in String(format: "%.7f", (next() - 0.5) * Double(j + 1) * 10) }
            let treated = next() < 0.85
            let visit = next() < (treated ? 0.06 : 0.04)
            let conversion = visit && next() < 0.2
            let exposure = treated && next() < 0.3
            fields += [treated, conversion, visit, exposure].map { $0 ? "1" : "0" }
            parsed.append(fields)
            text += fields.joined(separator: ",") + "\n"
        }
        return (text, parsed)
    }

    static func write(_ text: String, name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static func gzip(_ path: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/gzip")
        process.arguments = ["-k", "-f", path]
        try process.run()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        return path + ".gz"
    }

    @Test("rows become assignments, exposures, two outcome metrics and packed features; a re-import adds nothing", arguments: Engine.underTest)
    func importsAndCounts(engine: Engine) async throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (text, rows) = Self.file(rows: 3_000)
        let path = try Self.write(text, name: "criteo.csv", in: directory)
        try await TestDatabase.withStore(engine) { store in
            let summary = try await CriteoImport.run(file: path, experimentKey: "criteo", batchSize: 700, into: store)
            #expect(summary.read == 3_000 && summary.rejected == 0 && !summary.gzip)
            #expect(summary.featureNames == (0..<12).map { "f\($0)" })
            let treated = rows.filter { $0[12] == "1" }
            #expect(summary.assignments.inserted == 3_000)
            #expect(summary.exposures.inserted == rows.filter { $0[15] == "1" }.count)
            #expect(summary.visits.inserted == rows.filter { $0[14] == "1" }.count)
            #expect(summary.conversions.inserted == rows.filter { $0[13] == "1" }.count)
            #expect(summary.features.inserted == 3_000)

            let experiment = try #require(try await store.experiment(key: "criteo"))
            #expect(experiment.variants.map(\.name) == ["control", "treatment"])
            #expect(abs(experiment.variants[1].weight - 0.85) < 1e-12)
            for (metric, column) in [("visit", 14), ("conversion", 13)] {
                let results = try await ResultsService.compute(experiment: experiment, source: store, mode: .itt, metric: metric)
                #expect(results.metric == metric)
                #expect(results.control.n == 3_000 - treated.count && results.treatment.n == treated.count)
                #expect(results.treatment.conversions == treated.filter { $0[column] == "1" }.count, "\(metric)")
                #expect(results.control.conversions == rows.filter { $0[12] == "0" && $0[column] == "1" }.count, "\(metric)")
                #expect(results.outcomesNotCounted?.total == 0)
                // SRM against the planned 85/15, one degree of freedom: p = erfc(√(χ²/2)).
                let n = 3_000.0
                let observed = [Double(results.control.n), Double(results.treatment.n)]
                let expected = [0.15 * n, 0.85 * n]
                let chi2 = zip(observed, expected).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) / $1.1 }
                let srm = try #require(results.srm)
                #expect(abs(srm.chi2 - chi2) < 1e-9 * max(1, chi2))
                #expect(abs(srm.pValue - erfc((chi2 / 2).squareRoot())) < 1e-12)
            }
            // The default metric has no outcomes: a Criteo experiment is analysed by metric name.
            let plain = try await ResultsService.compute(experiment: experiment, source: store, mode: .itt)
            #expect(plain.arms.allSatisfy { $0.conversions == 0 } && plain.metric == nil)
            // Exposure mode: only exposed (treated) units, whose visits count.
            let exposed = try await ResultsService.compute(experiment: experiment, source: store, mode: .exposure, metric: "visit")
            #expect(exposed.control.n == 0 && exposed.treatment.n == rows.filter { $0[15] == "1" }.count)
            #expect(exposed.treatment.conversions == rows.filter { $0[15] == "1" && $0[14] == "1" }.count)

            // Packed features: bit for bit what the file says (Swift's own parse as the reference).
            for row in [1, 2, 1_234, 3_000] {
                let unit = CriteoImporter.unitID(row: row)
                let bytes = try await store.withConnection { sql in
                    try await sql.raw("SELECT features FROM unit_features WHERE experiment_id = \(bind: experiment.id) AND profile_id = \(bind: unit)").first()?
                        .decode(column: "features", as: Data.self)
                }
                let values = CriteoImporter.unpack([UInt8](try #require(bytes)))
                #expect(values.map(\.bitPattern) == rows[row - 1].prefix(12).map { Double($0)!.bitPattern }, "row \(row)")
            }

            let again = try await CriteoImport.run(file: path, experimentKey: "criteo", into: store)
            #expect(again.assignments.inserted == 0 && again.assignments.duplicates == 3_000)
            #expect(again.visits.inserted == 0 && again.conversions.inserted == 0 && again.exposures.inserted == 0 && again.features.inserted == 0)
        }
    }

    @Test("gzip input, several gzip members, and a truncated gzip file", arguments: Engine.underTest)
    func gzipInput(engine: Engine) async throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (text, rows) = Self.file(rows: 1_500, seed: 11)
        let plain = try Self.write(text, name: "c.csv", in: directory)
        let zipped = try Self.gzip(plain)
        // Two members: the header and first rows, then the rest (what `cat a.gz b.gz` makes).
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let first = try Self.gzip(try Self.write(lines[..<700].joined(separator: "\n") + "\n", name: "a.csv", in: directory))
        let second = try Self.gzip(try Self.write(lines[700...].joined(separator: "\n"), name: "b.csv", in: directory))
        let joined = directory.appendingPathComponent("joined.csv.gz")
        try (try Data(contentsOf: URL(fileURLWithPath: first)) + Data(contentsOf: URL(fileURLWithPath: second))).write(to: joined)
        let whole = try Data(contentsOf: URL(fileURLWithPath: zipped))
        let cut = directory.appendingPathComponent("cut.csv.gz")
        try whole.prefix(whole.count - 6).write(to: cut)

        try await TestDatabase.withStore(engine) { store in
            let a = try await CriteoImport.run(file: zipped, experimentKey: "gz", into: store)
            #expect(a.gzip && a.read == 1_500 && a.rejected == 0 && a.visits.inserted == rows.filter { $0[14] == "1" }.count)
            let b = try await CriteoImport.run(file: joined.path, experimentKey: "gz-members", into: store)
            #expect(b.gzip && b.read == 1_500 && b.rejected == 0 && b.visits.inserted == a.visits.inserted)
            await #expect {
                _ = try await CriteoImport.run(file: cut.path, experimentKey: "gz-cut", into: store)
            } throws: { error in
                "\(error)".contains("truncated gzip")
            }
        }
    }

    @Test("bad rows are rejected by line and column; a missing column or a share that contradicts the plan is refused", arguments: Engine.underTest)
    func hostileInput(engine: Engine) async throws {
        let directory = try TestDatabase.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var (text, _) = Self.file(rows: 10, seed: 3)
        var lines = text.split(separator: "\n").map(String.init)
        func replace(_ line: Int, column: Int, with value: String) {
            var fields = lines[line - 1].split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            fields[column] = value
            lines[line - 1] = fields.joined(separator: ",")
        }
        replace(3, column: 12, with: "2")  // treatment
        replace(4, column: 3, with: "nan")  // f3
        replace(5, column: 15, with: "true")  // exposure
        lines[5] += ",9"  // line 6: one field too many
        text = lines.joined(separator: "\n") + "\n"
        let path = try Self.write(text, name: "bad.csv", in: directory)
        let missing = try Self.write("f0,f1,treatment,conversion,visit\n1,2,0,0,0\n", name: "missing.csv", in: directory)
        try await TestDatabase.withStore(engine) { store in
            let summary = try await CriteoImport.run(file: path, experimentKey: "bad", into: store)
            #expect(summary.read == 10 && summary.rejected == 4 && summary.assignments.inserted == 6)
            let messages = summary.firstRejects.map(\.message)
            #expect(messages.contains("line 3, column 'treatment': '2' is not 0 or 1"))
            #expect(messages.contains("line 4, column 'f3': 'nan' is not a finite decimal number"))
            #expect(messages.contains("line 5, column 'exposure': 'true' is not 0 or 1"))
            #expect(messages.contains("line 6: expected 16 fields, found 17"))
            // Lines 3–6 are data rows 2–5; their unit ids are skipped, not reused (row 6 stays row-000000006).
            let experiment = try #require(try await store.experiment(key: "bad"))
            let units = try await store.withConnection { sql in
                try await sql.raw("SELECT profile_id FROM experiment_assignments WHERE experiment_id = \(bind: experiment.id) ORDER BY profile_id").all()
                    .map { try $0.decode(column: "profile_id", as: String.self) }
            }
            #expect(units == [1, 6, 7, 8, 9, 10].map { CriteoImporter.unitID(row: $0) })

            await #expect {
                _ = try await CriteoImport.run(file: missing, experimentKey: "missing", into: store)
            } throws: { error in
                "\(error)".contains("no 'exposure' column")
            }
            await #expect {
                _ = try await CriteoImport.run(file: path, experimentKey: "bad", treatmentShare: 0.5, into: store)
            } throws: { error in
                (error as? HoldoutError)?.field == "treatment_share" && "\(error)".contains("--treatment-share 0.85")
            }
        }
    }
}
