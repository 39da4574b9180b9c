import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutSimulation
import HoldoutStats

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks of the statistics engine and the CSV analysis (run a release build).",
        discussion: """
            swift build -c release
            .build/release/holdout bench stats                 # comparisons per second, one core
            .build/release/holdout bench analyze               # 10M-row, 12-covariate CSV, rows per second
            python Scripts/bench/gbstats_compare.py            # against GrowthBook's gbstats, same inputs
            .build/release/holdout bench sql-guard             # SQL guard verdicts: a 2 KB query, the corpus
            """,
        subcommands: [StatsBench.self, AnalyzeBench.self, GbstatsBench.self, StoreBench.self, SimulateBench.self, SQLGuardBench.self, GeoBench.self])
}

/// Peak resident memory of this process (VmHWM), in MiB, or nil off Linux.
func peakMemoryMiB() -> Double? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first
        return kb.map { $0 / 1024 }
    }
    return nil
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) * 1e-18
}

struct StatsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Two-sample comparisons per second from sufficient statistics, on one core.")

    @Option(help: "Comparisons per measured pass.")
    var count = 5_000_000

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Result: Encodable {
        var proportion_per_second: Double
        var welch_per_second: Double
        var sequential_per_second: Double
        var count: Int
        var checksum: Double
    }

    func run() throws {
        // Inputs vary per call so nothing is hoisted out of the loop.
        let inputs = (0..<1024).map { i in
            (ProportionStatistic(n: 10_000 + i, conversions: 500 + i % 97), ProportionStatistic(n: 10_000 + 3 * i, conversions: 520 + i % 89))
        }
        let means = inputs.map { ($0.0.asMean, MeanStatistic(n: $0.1.n, sum: Double($0.1.conversions) * 1.3, sumSquares: Double($0.1.conversions) * 2.1)) }
        let clock = ContinuousClock()
        var checksum = 0.0
        let options = TestOptions.standard
        // Plain loops, no closures: what a batch job over many experiments does.
        var start = clock.now
        for i in 0..<count {
            let (c, t) = inputs[i & 1023]
            checksum += try ProportionTest.compare(control: c, treatment: t, options: options).pValue ?? 0
        }
        let proportion = Double(count) / seconds(clock.now - start)
        start = clock.now
        for i in 0..<count {
            let (c, t) = means[i & 1023]
            checksum += try WelchTest.compare(control: c, treatment: t, options: options).pValue ?? 0
        }
        let welch = Double(count) / seconds(clock.now - start)
        start = clock.now
        for i in 0..<count {
            let (c, t) = inputs[i & 1023]
            checksum += try SequentialTest.compare(control: c, treatment: t).ciLow ?? 0
        }
        let sequential = Double(count) / seconds(clock.now - start)
        let result = Result(
            proportion_per_second: proportion, welch_per_second: welch, sequential_per_second: sequential, count: count,
            checksum: checksum)
        if json { return try Output.json(result) }
        print(
            Output.table(
                header: ["comparison", "per second", "ns each"],
                rows: [
                    ["proportion (z-test + Wald + delta)", Output.number(proportion, digits: 4), Output.number(1e9 / proportion, digits: 4)],
                    ["means (Welch t)", Output.number(welch, digits: 4), Output.number(1e9 / welch, digits: 4)],
                    ["sequential (confidence sequence)", Output.number(sequential, digits: 4), Output.number(1e9 / sequential, digits: 4)],
                ]))
    }
}

struct AnalyzeBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "End-to-end `stats analyze` throughput on a generated unit-level CSV.",
        discussion: "The CSV is generated once (deterministically) and reused on later runs.")

    @Option(help: "Rows to generate.")
    var rows = 10_000_000

    @Option(help: "Covariate columns.")
    var covariates = 12

    @Option(help: "Where to keep the generated CSV.")
    var file = ".build/bench-analyze.csv"

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Result: Encodable {
        var rows: Int
        var covariates: Int
        var bytes: Int
        var seconds: Double
        var rows_per_second: Double
        var megabytes_per_second: Double
        var peak_memory_mib: Double?
        var cuped_variance_reduction: Double?
    }

    func run() throws {
        let names = (1...max(covariates, 1)).map { "x\($0)" }.prefix(covariates)
        let expectedHeader = "unit_id,arm,revenue," + names.joined(separator: ",")
        if !Self.isUsable(file, header: expectedHeader, rows: rows) {
            Output.error("generating \(rows) rows with \(covariates) covariates in \(file)…\n")
            try Self.generate(file, header: expectedHeader, rows: rows, covariates: covariates)
        }
        let bytes = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let clock = ContinuousClock()
        let start = clock.now
        let report = try StreamingAnalysis.run(.init(path: file, armColumn: "arm", control: "control", metric: "revenue", covariates: Array(names)))
        let elapsed = seconds(clock.now - start)
        let result = Result(
            rows: report.rows, covariates: covariates, bytes: bytes, seconds: elapsed, rows_per_second: Double(report.rows) / elapsed,
            megabytes_per_second: Double(bytes) / elapsed / 1_048_576, peak_memory_mib: peakMemoryMiB(),
            cuped_variance_reduction: report.comparisons.first?.cuped?.varianceReduction)
        if json { return try Output.json(result) }
        print(
            "\(result.rows) rows × \(covariates) covariates (\(bytes / 1_048_576) MiB) in \(Output.number(elapsed, digits: 4)) s: "
                + "\(Output.number(result.rows_per_second, digits: 4)) rows/s, \(Output.number(result.megabytes_per_second, digits: 4)) MiB/s, "
                + "peak memory \(Output.number(result.peak_memory_mib, digits: 4)) MiB")
    }

    static func isUsable(_ path: String, header: String, rows: Int) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let first = (try? handle.read(upToCount: header.utf8.count + 1)) ?? Data()
        guard String(decoding: first, as: UTF8.self) == header + "\n" else { return false }
        // The generator writes the row count into a sidecar file.
        let marker = (try? String(contentsOfFile: path + ".rows", encoding: .utf8)) ?? ""
        return Int(marker) == rows
    }

    /// Writes a synthetic experiment: y = 20 + 1.5·T + Σ βⱼxⱼ + noise, with covariates from the
    /// simulation's seeded generator, in 8 MiB buffered writes.
    static func generate(_ path: String, header: String, rows: Int, covariates k: Int) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw CLIError("cannot write '\(path)': check the directory exists and is writable") }
        defer { try? handle.close() }
        var generator = Xoshiro256StarStar(seed: 0x9E37_79B9_7F4A_7C15)
        func next() -> Double { generator.nextUniform() }
        var buffer = header + "\n"
        buffer.reserveCapacity(9 << 20)
        var x = [Double](repeating: 0, count: k)
        for i in 0..<rows {
            let treated = next() < 0.5
            var y = 20 + (treated ? 1.5 : 0) + (next() - 0.5) * 30
            for j in 0..<k {
                x[j] = ((next() * 1000).rounded() / 100)
                y += x[j] * (j % 2 == 0 ? 0.8 : -0.3)
            }
            buffer += "\(i),\(treated ? "treatment" : "control"),\(Double(Int(y * 100)) / 100)"
            for j in 0..<k { buffer += ",\(x[j])" }
            buffer += "\n"
            if buffer.utf8.count > 8 << 20 {
                handle.write(Data(buffer.utf8))
                buffer.removeAll(keepingCapacity: true)
            }
        }
        handle.write(Data(buffer.utf8))
        try "\(rows)".write(toFile: path + ".rows", atomically: true, encoding: .utf8)
    }
}

struct GbstatsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gbstats",
        abstract: "Welch comparisons on the inputs of Scripts/bench/gbstats_compare.py, timed, with their results.")

    @Option(help: "JSON file {\"alpha\", \"comparisons\": [{\"control\": {\"n\", \"sum\", \"sum_squares\"}, \"treatment\": {…}}]}.")
    var input: String

    @Option(help: "Passes over the inputs (the time is for all of them).")
    var repetitions = 200

    struct Row: Encodable {
        var uplift_abs: Double?
        var ci_low: Double?
        var ci_high: Double?
        var p_value: Double?
    }

    /// The input file, its arms decoded (and validated) as HoldoutStats' wire arms.
    struct Input: Decodable {
        struct Pair: Decodable {
            var control: Analysis.Arm
            var treatment: Analysis.Arm
        }
        var alpha: Double?
        var comparisons: [Pair]
    }

    struct Result: Encodable {
        var seconds: Double
        var repetitions: Int
        var results: [Row]
    }

    func run() throws {
        guard let data = FileManager.default.contents(atPath: input) else { throw CLIError("--input: cannot read '\(input)'") }
        let decoded: Input
        do {
            decoded = try JSONDecoder().decode(Input.self, from: data)
        } catch let error as StatsError {
            throw CLIError(error)
        } catch {
            throw CLIError("--input: \(error)")
        }
        let alpha = decoded.alpha ?? 0.05
        let pairs = try decoded.comparisons.enumerated().map { (i, pair) throws(CLIError) -> (MeanStatistic, MeanStatistic) in
            guard case .mean(let c) = pair.control.statistic, case .mean(let t) = pair.treatment.statistic else {
                throw CLIError("comparisons[\(i)]: expected mean arms {\"n\", \"sum\", \"sum_squares\"}")
            }
            return (c, t)
        }
        let options = TestOptions(alpha: alpha)
        var results = [Comparison](repeating: Comparison(controlMean: 0, treatmentMean: 0), count: pairs.count)
        let clock = ContinuousClock()
        let start = clock.now
        for _ in 0..<repetitions {
            for (i, pair) in pairs.enumerated() {
                results[i] = try WelchTest.compare(control: pair.0, treatment: pair.1, options: options)
            }
        }
        let elapsed = seconds(clock.now - start)
        try Output.json(
            Result(
                seconds: elapsed, repetitions: repetitions,
                results: results.map { Row(uplift_abs: $0.upliftAbs, ci_low: $0.ciLow, ci_high: $0.ciHigh, p_value: $0.pValue) }))
    }
}
