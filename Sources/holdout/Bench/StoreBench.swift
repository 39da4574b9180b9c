import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutSimulation
import HoldoutStore

struct StoreBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "store",
        abstract: "Import and reduction speed of the store: CSV import rows/s, then per-variant statistics with validation.",
        discussion: """
            Generates (once, deterministically) UNITS assignments, UNITS exposures and UNITS/5 conversions as CSV \
            files, imports them into a fresh experiment, and times the per-variant sufficient statistics (ITT and \
            exposure-based, with exposure validation) computed in the database.

            Examples:
              .build/release/holdout bench store --units 1000000 --database /tmp/bench.sqlite
              .build/release/holdout bench store --units 10000000 --database postgres://postgres@127.0.0.1:5432/bench --json
            """)

    @Option(help: "Assigned units (and exposures); conversions are a fifth of it.") var units = 1_000_000
    @Option(help: "Where the generated CSV files are kept.") var directory = ".build/bench-store"
    @OptionGroup var db: DatabaseOptions
    @Flag(help: "Print one JSON object.") var json = false

    struct Result: Encodable {
        var database: String
        var units: Int
        var import_rows_per_second: [String: Double]
        var import_seconds: [String: Double]
        var statistics_seconds: [String: Double]
        var peak_memory_mib: Double?
        var variants: [VariantStatistics]
    }

    func run() async throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let files = try generate()
        let key = "bench-\(UUID().uuidString.prefix(8).lowercased())"
        let result = try await db.with(schema: .migrate) { store in
            let experiment = try await store.createExperiment(
                NewExperiment(
                    key: key, name: "benchmark", startAt: Timestamp(parsing: "2026-03-01"), endAt: Timestamp(parsing: "2026-04-01"), conversionWindowDays: 7))
            var rates: [String: Double] = [:]
            var importSeconds: [String: Double] = [:]
            for (kind, path) in files {
                let summary = try await Importer(kind: kind, experiment: experiment, batchSize: 50_000).run(path: path, store: store)
                rates[kind.rawValue] = Double(summary.read) / summary.seconds
                importSeconds[kind.rawValue] = summary.seconds
                Output.error("imported \(summary.read) \(kind.rawValue) in \(Output.number(summary.seconds, digits: 3)) s\n")
            }
            var statistics: [String: Double] = [:]
            var variants: [VariantStatistics] = []
            for mode in AnalysisMode.allCases {
                let clock = ContinuousClock()
                let start = clock.now
                variants = try await store.variantStatistics(experimentID: experiment.id, mode: mode)
                statistics[mode.rawValue] = seconds(clock.now - start)
                Output.error("statistics (\(mode.rawValue)) in \(Output.number(statistics[mode.rawValue], digits: 3)) s\n")
            }
            return Result(
                database: store.location.description, units: units, import_rows_per_second: rates, import_seconds: importSeconds,
                statistics_seconds: statistics, peak_memory_mib: peakMemoryMiB(), variants: variants)
        }
        if json { return try Output.json(result) }
        print(
            Output.table(
                header: ["step", "rows", "seconds", "rows/s"],
                rows: files.map { kind, _ in
                    [
                        "import \(kind.rawValue)", kind == .outcomes ? "\(units / 5)" : "\(units)",
                        Output.number(result.import_seconds[kind.rawValue], digits: 3),
                        Output.number(result.import_rows_per_second[kind.rawValue], digits: 3),
                    ]
                } + AnalysisMode.allCases.map { ["statistics \($0.rawValue)", "", Output.number(result.statistics_seconds[$0.rawValue], digits: 3), ""] }))
        print("peak memory \(Output.number(result.peak_memory_mib, digits: 4)) MiB, \(result.database)")
    }

    /// Writes the three CSV files unless they exist for this size.
    func generate() throws -> [(ImportKind, String)] {
        let prefix = "\(directory)/\(units)"
        let files: [(ImportKind, String)] = [
            (.assignments, "\(prefix)-assignments.csv"), (.exposures, "\(prefix)-exposures.csv"), (.outcomes, "\(prefix)-outcomes.csv"),
        ]
        if files.allSatisfy({ FileManager.default.fileExists(atPath: $0.1) }) { return files }
        Output.error("generating \(units) units in \(directory)…\n")
        var generator = Xoshiro256StarStar(seed: 42)
        func next() -> UInt64 { generator.next() }
        let base: Int64 = 1_772_323_200  // 2026-03-01T00:00:00Z
        var writers = try files.map { _, path -> (FileHandle, String) in
            guard FileManager.default.createFile(atPath: path, contents: nil), let h = FileHandle(forWritingAtPath: path) else {
                throw CLIError("cannot write \(path)")
            }
            return (h, "")
        }
        writers[0].1 = "profile_id,group,assigned_at\n"
        writers[1].1 = "profile_id,exposure_ts,variant,event_id\n"
        writers[2].1 = "profile_id,conversion_ts,value,event_id\n"
        for i in 0..<units {
            let treated = next() % 2 == 0
            let assigned = base + Int64(next() % (20 * 86_400))
            writers[0].1 += "u\(i),\(treated ? "treatment" : "control"),\(assigned)\n"
            writers[1].1 += "u\(i),\(assigned + Int64(next() % 7200) - 60),\(treated ? "treatment" : "control"),x\(i)\n"
            if i % 5 == 0 {
                writers[2].1 += "u\(i),\(assigned + Int64(next() % (10 * 86_400))),\(Double(next() % 20_000) / 100),c\(i)\n"
            }
            if i % 100_000 == 99_999 || i == units - 1 {
                for k in writers.indices {
                    writers[k].0.write(Data(writers[k].1.utf8))
                    writers[k].1 = ""
                }
            }
        }
        for (handle, _) in writers { try handle.close() }
        return files
    }
}
