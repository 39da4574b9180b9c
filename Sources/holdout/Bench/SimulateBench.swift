import ArgumentParser
import Foundation
import HoldoutSimulation

struct SimulateBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulator throughput: visitors per second in memory and streamed to CSV, against numpy running seed 004's algorithm.",
        discussion: """
            Runs a scenario (default criteo-like: 12 copula features, a binary outcome) three ways — in memory \
            (features, truth, assignment, outcome; nothing written), streamed to observed.csv, and to \
            observed.csv + truth.csv — then runs Scripts/bench/simulate_numpy.py on the same machine (numpy, \
            seed 004's algorithm: multivariate_normal, vectorised surfaces, per-arm draws) and reports the ratios. \
            numpy's CSV pass covers --numpy-csv-visitors (Python formatting is slow) and is compared per visitor.

            Example (release build):
              swift build -c release && .build/release/holdout bench simulate --visitors 10000000
              /usr/bin/time -v .build/release/holdout bench simulate --no-numpy    # peak RSS
            """)

    @Option(help: "Visitors per pass.")
    var visitors = 10_000_000

    @Option(help: "The scenario.")
    var scenario = "criteo-like"

    @Option(help: ArgumentHelp("Directory for the CSV files.", valueName: "dir"))
    var out = ".build/bench-simulate"

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Flag(help: "Skip the numpy peer.")
    var noNumpy = false

    @Option(help: "Visitors numpy writes to CSV (0 to skip its CSV pass).")
    var numpyCsvVisitors = 1_000_000

    @Option(help: "The Python interpreter with numpy.")
    var python = "python3"

    @Option(help: "The numpy peer script.")
    var script = "Scripts/bench/simulate_numpy.py"

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Pass: Encodable {
        var name: String
        var seconds: Double
        var visitors_per_second: Double
        var megabytes: Double?
        var megabytes_per_second: Double?
    }

    struct Result: Encodable {
        var scenario: String
        var visitors: Int
        var threads: Int
        var passes: [Pass]
        var effect: Double
        var conversion_rate: Double
        var peak_memory_mib: Double?
        var numpy: NumpyResult?
        var speedup_in_memory: Double?
        var speedup_csv: Double?
    }

    /// The numpy peer's answer (Scripts/bench/simulate_numpy.py), decoded and printed as it came.
    struct NumpyResult: Codable {
        var implementation: String
        var visitors: Int
        var in_memory_seconds: Double
        var in_memory_visitors_per_second: Double
        var effect: Double
        var conversion_rate: Double
        var treated_share: Double
        var csv_visitors: Int?
        var csv_seconds: Double?
        var csv_visitors_per_second: Double?
    }

    func validate() throws {
        if visitors < 1 { throw ValidationError("--visitors must be at least 1") }
        if numpyCsvVisitors < 0 { throw ValidationError("--numpy-csv-visitors must be ≥ 0") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1…256") }
    }

    func run() throws {
        var config = try Scenario.config(scenario)
        config = try SimulationConfig(
            name: config.name, experimentID: config.experimentID, visitors: visitors, seed: config.seed, sampler: config.sampler,
            mode: config.mode, assignment: config.assignment, revenueModel: config.revenueModel, covariates: config.covariates)
        let workers = threads ?? Simulator.defaultParallelism
        let clock = ContinuousClock()
        var passes: [Pass] = []
        if !json { Output.error("in memory: \(visitors) visitors of \(scenario) on \(workers) threads…\n") }
        var conversions = 0
        var sums = Truth.Sums(levels: config.mode.levels, hurdle: config.mode.metric == .revenuePerVisitor)
        var start = clock.now
        try Simulator(config).run(parallelism: workers) { chunk in
            (chunk.observation.converted.reduce(0) { $0 + ($1 ? 1 : 0) }, chunk.truth.sums)
        } consume: { piece in
            conversions += piece.0
            sums = sums + piece.1
        }
        var elapsed = seconds(clock.now - start)
        passes.append(Pass(name: "in memory", seconds: elapsed, visitors_per_second: Double(visitors) / elapsed))
        for withTruth in [false, true] {
            if !json { Output.error("to CSV\(withTruth ? " (observed + truth)" : " (observed)") in \(out)…\n") }
            // New files, as a first run writes them (not the time to free the previous run's blocks).
            for file in ["observed.csv", "truth.csv"] {
                try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: out).appendingPathComponent(file).path)
            }
            sync()
            start = clock.now
            let written = try SimulationWriter(config: config, directory: out, writeTruthCSV: withTruth, threads: workers, source: "bench")
                .write(progress: false)
            elapsed = seconds(clock.now - start)
            let mb = Double(written.bytes) / 1_048_576
            passes.append(
                Pass(
                    name: withTruth ? "observed.csv + truth.csv" : "observed.csv", seconds: elapsed, visitors_per_second: Double(visitors) / elapsed,
                    megabytes: mb, megabytes_per_second: mb / elapsed))
        }
        var numpy: NumpyResult?
        var speedupMemory: Double?
        var speedupCSV: Double?
        if !noNumpy {
            if !json { Output.error("numpy peer: \(python) \(script)…\n") }
            numpy = try runNumpy()
            if let rate = numpy?.in_memory_visitors_per_second { speedupMemory = passes[0].visitors_per_second / rate }
            if let rate = numpy?.csv_visitors_per_second { speedupCSV = passes[1].visitors_per_second / rate }
        }
        let result = Result(
            scenario: scenario, visitors: visitors, threads: workers, passes: passes, effect: sums.effect,
            conversion_rate: Double(conversions) / Double(visitors), peak_memory_mib: peakMemoryMiB(), numpy: numpy,
            speedup_in_memory: speedupMemory, speedup_csv: speedupCSV)
        if json { return try Output.json(result) }
        var rows = passes.map {
            [
                "Holdout: " + $0.name, Output.number($0.seconds, digits: 4), Output.number($0.visitors_per_second, digits: 4),
                Output.number($0.megabytes_per_second, digits: 4),
            ]
        }
        if let numpy {
            rows.append([
                "numpy: in memory", Output.number(numpy.in_memory_seconds, digits: 4),
                Output.number(numpy.in_memory_visitors_per_second, digits: 4), "—",
            ])
            if let s = numpy.csv_seconds {
                rows.append([
                    "numpy: observed.csv (\(numpyCsvVisitors) visitors)", Output.number(s, digits: 4),
                    Output.number(numpy.csv_visitors_per_second, digits: 4), "—",
                ])
            }
        }
        print(Output.table(header: ["pass (\(visitors) visitors, \(workers) threads)", "seconds", "visitors/s", "MiB/s"], rows: rows))
        print(
            "true effect \(Output.number(sums.effect)), conversion rate \(Output.number(result.conversion_rate, digits: 4)), peak memory \(Output.number(result.peak_memory_mib, digits: 4)) MiB"
        )
        if let speedupMemory {
            print(
                "Holdout vs numpy: \(Output.number(speedupMemory, digits: 3))× in memory"
                    + (speedupCSV.map { ", \(Output.number($0, digits: 3))× to CSV" } ?? ""))
        }
    }

    func runNumpy() throws -> NumpyResult {
        guard FileManager.default.fileExists(atPath: script) else {
            throw CLIError("--script: '\(script)' not found; run from the package root or pass --script PATH (or --no-numpy)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            python, script, "--visitors", "\(visitors)", "--csv-visitors", "\(numpyCsvVisitors)", "--out",
            URL(fileURLWithPath: out).appendingPathComponent("numpy.csv").path,
        ]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch { throw CLIError("cannot run \(python): \(error.localizedDescription) (pass --python or --no-numpy)") }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let result = try? JSONDecoder().decode(NumpyResult.self, from: data) else {
            throw CLIError("the numpy peer failed (status \(process.terminationStatus)); run it alone: \(python) \(script) --help")
        }
        return result
    }
}
