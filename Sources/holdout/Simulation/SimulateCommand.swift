import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutSimulation
import HoldoutStore

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Generate a synthetic experiment whose true effect is known for every visitor (seed 004).",
        discussion: """
            Visitors get features (a Gaussian copula or a mixture of populations), potential outcomes from \
            response surfaces (conversion p_k(x), and for revenue a lognormal or cart order value), a variant \
            (randomised), and the outcome of that variant. Writes three files to --out:
              observed.csv  a row per visitor: visitor_id, experiment_id, variant,
                            converted, revenue, orders_count, sessions_count, features
              truth.json    metric_id, metric_family, effect, effect_components,
                            contrast_effects, scenario, seed
              truth.csv     per visitor: visitor_id, cate, p0, p1 (and m0, m1,
                            sigma0, sigma1 for revenue; cate_k, p_k with 3+ levels)
            The same config, --visitors and --seed give the same files, bit for bit, on any machine.
            With --format criteo, observed.csv has the Criteo Uplift v2 columns instead \
            (f0…f11, treatment, conversion, visit, exposure; visit is the simulated outcome), for \
            `holdout import criteo` and `holdout uplift train`.

            Built-in scenarios: criteo-like, email-holdout, revenue-hurdle, cart-revenue, three-arm, null. Each is a \
            YAML config: print one with --print-config and edit it (format: docs/simulation.md).

            Examples:
              holdout simulate --scenario criteo-like --visitors 1000000 --out sim/
              holdout simulate --scenario revenue-hurdle --print-config > my.yaml
              holdout simulate --config my.yaml --seed 7 --out sim/ --json
              holdout simulate --scenario email-holdout --out sim/ --into-database
              holdout simulate --scenario three-arm --assignment levels.txt --out sim/
              holdout simulate --scenario criteo-like --format criteo --out criteo/
              holdout stats analyze --csv sim/observed.csv --arm-column variant \\
                  --control control --metric converted
            """)

    @Option(help: ArgumentHelp("A YAML simulation config (see --print-config for one to start from).", valueName: "file.yaml"))
    var config: String?

    @Option(help: ArgumentHelp("A built-in scenario: criteo-like, email-holdout, revenue-hurdle, cart-revenue, three-arm, null.", valueName: "name"))
    var scenario: String?

    @Option(help: "Visitors to generate (default: the config's).")
    var visitors: Int?

    @Option(help: "Seed of the random streams (default: the config's).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Directory for observed.csv, truth.json and truth.csv (created if missing).", valueName: "dir"))
    var out: String?

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Option(
        help: ArgumentHelp(
            "observed.csv's layout: seed (seed 004's visitor columns) or criteo (the Criteo Uplift v2 columns f0…,treatment,conversion,visit,exposure; two-variant conversion scenarios, see docs/simulation.md).",
            valueName: "layout"))
    var format: ObservedFormat = .seed

    @Option(
        help: ArgumentHelp(
            "An external assignment instead of randomisation: one variant per line (a name such as control/treatment_2, or a level 0…K−1), one line per visitor.",
            valueName: "file"))
    var assignment: String?

    @Flag(help: "Print the config as YAML (with --visitors/--seed applied as comments) and exit.")
    var printConfig = false

    @Flag(help: "List the built-in scenarios and exit.")
    var listScenarios = false

    @Flag(help: "Skip truth.csv (truth.json is always written).")
    var noTruthCsv = false

    @Flag(help: "Also load the experiment into the store: assignments, exposures, outcomes and covariates.")
    var intoDatabase = false

    @OptionGroup var db: DatabaseOptions

    @Option(help: ArgumentHelp("The experiment key in the store with --into-database (default: the config's experiment_id).", valueName: "key"))
    var experimentKey: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        if let visitors, visitors < 1 { throw ValidationError("--visitors must be at least 1, got \(visitors)") }
        if let visitors, visitors > 2_000_000_000 { throw ValidationError("--visitors must be at most 2,000,000,000") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1…256, got \(threads)") }
        if listScenarios { return }
        if config == nil && scenario == nil { throw ValidationError("choose a simulation: --scenario NAME or --config FILE.yaml (see --list-scenarios)") }
        if config != nil && scenario != nil { throw ValidationError("--config and --scenario are alternatives; give one") }
        if !printConfig && out == nil { throw ValidationError("--out DIR is required (where observed.csv, truth.json and truth.csv go)") }
        if experimentKey != nil && !intoDatabase { throw ValidationError("--experiment-key applies with --into-database") }
        if format == .criteo && intoDatabase {
            throw ValidationError("--format criteo writes a file for `holdout import criteo`; load it with that command instead of --into-database")
        }
    }

    enum ObservedFormat: String, ExpressibleByArgument, CaseIterable {
        case seed, criteo
    }

    struct ScenarioEntry: Encodable {
        var name: String
        var description: String
        var metric: String
        var variants: [String]
        var visitors: Int
    }

    struct Report: Encodable {
        var out: String
        var files: [String: String]
        var visitors: Int
        var seed: UInt64
        var scenario: String
        var experiment_id: String
        var metric_id: String
        var effect: Double
        var effect_components: [String: Double]
        var variants: [VariantSummary]
        var seconds: Double
        var visitors_per_second: Double
        var database: SimulationLoader.Report?
    }

    struct VariantSummary: Encodable {
        var variant: String
        var visitors: Int
        var conversions: Int
        var conversion_rate: Double
        var revenue_per_visitor: Double?
    }

    func run() async throws {
        if listScenarios { return try printScenarios() }
        var (config, yaml, source) = try ScenarioSource(config: self.config, scenario: scenario).load()
        if let visitors {
            config = try SimulationConfig(
                name: config.name, experimentID: config.experimentID, visitors: visitors, seed: config.seed, sampler: config.sampler,
                mode: config.mode, assignment: config.assignment, revenueModel: config.revenueModel, covariates: config.covariates,
                description: config.description)
        }
        if let seed { config.seed = seed }
        if let assignment {
            let levels = try Self.readAssignment(assignment, variants: config.variantNames)
            if visitors == nil { config.visitors = levels.count }
            guard levels.count == config.visitors else {
                throw CLIError(
                    "--assignment: '\(assignment)' has \(levels.count) lines but \(config.visitors) visitors are simulated; give one line per visitor (or drop --visitors)"
                )
            }
            config.assignment = .external(levels)
        }
        if printConfig {
            var text = yaml
            if visitors != nil || seed != nil {
                text += "\n# with the command line: visitors: \(config.visitors), seed: \(config.seed)\n"
            }
            print(text, terminator: text.hasSuffix("\n") ? "" : "\n")
            return
        }
        guard let out else { throw CLIError("--out DIR is required") }
        let result = try SimulationWriter(
            config: config, directory: out, writeTruthCSV: !noTruthCsv, threads: threads, source: source,
            criteo: format == .criteo ? try CriteoEncoding(config: config) : nil
        )
        .write(progress: stderrIsTerminal && !json)
        var loaded: SimulationLoader.Report?
        if intoDatabase {
            let key = experimentKey ?? config.experimentID
            let showProgress = stderrIsTerminal && !json
            var progress: (@Sendable (ImportKind) -> Void)?
            if showProgress { progress = { kind in Output.error("\rloading \(kind.rawValue)…\u{1B}[K") } }
            let notes = "holdout simulate: true \(config.mode.metric.rawValue) effect in \(out)/truth.json"
            loaded = try await db.with { (store: Store) async throws -> SimulationLoader.Report in
                do {
                    return try await SimulationLoader.load(config, key: key, notes: notes, into: store, progress: progress)
                } catch let error as HoldoutError where error.code == .conflict {
                    throw CLIError("\(error.message); pass --experiment-key NEW_KEY (or use another --database)")
                } catch let error as HoldoutError where error.field == "experiment_key" {
                    throw CLIError("\(error.message); pass --experiment-key")
                }
            }
            if showProgress { Output.error("\r\u{1B}[K") }
        }
        let report = Report(
            out: out, files: result.files, visitors: config.visitors, seed: config.seed, scenario: config.name, experiment_id: config.experimentID,
            metric_id: config.mode.metric.rawValue, effect: result.sums.effect, effect_components: result.sums.components,
            variants: result.variants, seconds: result.seconds, visitors_per_second: Double(config.visitors) / max(result.seconds, 1e-9),
            database: loaded)
        if json { return try Output.json(report) }
        print("\(config.visitors) visitors of '\(config.name)' (seed \(config.seed)) in \(Output.number(result.seconds, digits: 3)) s → \(out)")
        let hurdle = config.mode.metric == .revenuePerVisitor
        print(
            Output.table(
                header: ["variant", "visitors", "conversions", "rate"] + (hurdle ? ["revenue/visitor"] : []),
                rows: result.variants.map {
                    [$0.variant, "\($0.visitors)", "\($0.conversions)", Output.number($0.conversion_rate, digits: 4)]
                        + (hurdle ? [Output.number($0.revenue_per_visitor, digits: 5)] : [])
                }))
        print("true effect (\(config.mode.metric.rawValue)): \(Output.number(result.sums.effect))")
        for (name, value) in result.sums.components.sorted(by: { $0.key < $1.key }) { print("  \(name): \(Output.number(value))") }
        if let loaded {
            print(
                "loaded into the store as experiment '\(loaded.experiment)': \(loaded.assignments) assignments, \(loaded.exposures) exposures, \(loaded.outcomes) outcomes, \(loaded.covariates) covariate rows"
            )
        }
    }

    /// Reads one variant per line: a variant name or a level number.
    static func readAssignment(_ path: String, variants: [String]) throws -> [Int] {
        guard let data = FileManager.default.contents(atPath: path) else { throw CLIError("--assignment: cannot read '\(path)': check the path") }
        var levels: [Int] = []
        var lineNumber = 0
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text.isEmpty { continue }
            if let index = variants.firstIndex(of: text) {
                levels.append(index)
            } else if let level = Int(text), level >= 0, level < variants.count {
                levels.append(level)
            } else {
                throw CLIError("--assignment: line \(lineNumber): '\(text)' is not a variant (\(variants.joined(separator: ", ")) or 0…\(variants.count - 1))")
            }
        }
        guard !levels.isEmpty else { throw CLIError("--assignment: '\(path)' has no lines; give one variant per visitor") }
        return levels
    }

    func printScenarios() throws {
        let entries = try Scenario.names.map { name in
            let c = try Scenario.config(name)
            return ScenarioEntry(name: name, description: c.description ?? "", metric: c.mode.metric.rawValue, variants: c.variantNames, visitors: c.visitors)
        }
        if json { return try Output.json(["scenarios": entries]) }
        print(
            Output.table(
                header: ["scenario", "metric", "variants", "description"],
                rows: entries.map {
                    [$0.name, $0.metric, $0.variants.joined(separator: "/"), $0.description]
                }))
    }
}

/// Writes a simulation's three files, streaming chunk by chunk.
struct SimulationWriter {
    var config: SimulationConfig
    var directory: String
    var writeTruthCSV: Bool
    var threads: Int?
    var source: String
    /// observed.csv in the Criteo Uplift v2 layout instead of seed 004's.
    var criteo: CriteoEncoding? = nil
    /// Skip observed.csv (benchmarks of generation alone).
    var writeObservedCSV = true

    struct Result {
        var sums: Truth.Sums
        var variants: [SimulateCommand.VariantSummary]
        var seconds: Double
        var files: [String: String]
        var bytes: Int
    }

    struct TruthFile: Encodable {
        var metric_id: String
        var metric_family: String
        var effect: Double
        var effect_components: [String: Double]
        var contrast_effects: [String: Double]
        var scenario: String
        var seed: UInt64
        var visitors: Int
        var experiment_id: String
        var variants: [String]
        var config: String
    }

    func write(progress: Bool) throws -> Result {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        if fm.fileExists(atPath: directory, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else { throw CLIError("--out: '\(directory)' is a file; give a directory") }
        } else {
            do { try fm.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
                throw CLIError("--out: cannot create '\(directory)': \(error.localizedDescription)")
            }
        }
        let url = URL(fileURLWithPath: directory)
        let observedPath = url.appendingPathComponent("observed.csv").path
        let truthPath = url.appendingPathComponent("truth.csv").path
        let jsonPath = url.appendingPathComponent("truth.json").path
        let encoding = CSVEncoding(config: config)
        let observed = writeObservedCSV ? try FileSink(path: observedPath) : nil
        let truthCSV = writeTruthCSV ? try FileSink(path: truthPath) : nil
        defer {
            observed?.close()
            truthCSV?.close()
        }
        try observed?.write(criteo?.header ?? encoding.observedHeader)
        try truthCSV?.write(encoding.truthHeader)
        let k = config.mode.levels
        var sums = Truth.Sums(levels: k, hurdle: config.mode.metric == .revenuePerVisitor)
        var counts = [Int](repeating: 0, count: k)
        var conversions = [Int](repeating: 0, count: k)
        var revenue = [Double](repeating: 0, count: k)
        let writeObserved = writeObservedCSV
        let criteo = self.criteo
        let writeTruth = writeTruthCSV
        struct Piece: Sendable {
            var observed: [UInt8]
            var truth: [UInt8]
            var sums: Truth.Sums
            var counts: [Int]
            var conversions: [Int]
            var revenue: [Double]
        }
        let clock = ContinuousClock()
        let start = clock.now
        var done = 0
        let total = config.visitors
        try Simulator(config).run(
            parallelism: threads ?? Simulator.defaultParallelism,
            transform: { chunk in
                var o: [UInt8] = []
                var t: [UInt8] = []
                if writeObserved {
                    if let criteo { o = criteo.bytes(chunk) } else { encoding.appendObserved(chunk, to: &o) }
                }
                if writeTruth { encoding.appendTruth(chunk, to: &t) }
                var conv = [Int](repeating: 0, count: k)
                var rev = [Double](repeating: 0, count: k)
                for i in 0..<chunk.count where chunk.observation.converted[i] {
                    conv[chunk.observation.level[i]] += 1
                    rev[chunk.observation.level[i]] += chunk.observation.revenue[i]
                }
                return Piece(observed: o, truth: t, sums: chunk.truth.sums, counts: chunk.observation.counts, conversions: conv, revenue: rev)
            },
            consume: { piece in
                try observed?.write(piece.observed)
                try truthCSV?.write(piece.truth)
                sums = sums + piece.sums
                for l in 0..<k {
                    counts[l] += piece.counts[l]
                    conversions[l] += piece.conversions[l]
                    revenue[l] += piece.revenue[l]
                }
                done += piece.sums.count
                if progress {
                    let elapsed = seconds(clock.now - start)
                    Output.error("\r\(done)/\(total) visitors (\(Int(Double(done) / max(elapsed, 1e-9))) per second)…")
                }
            })
        if progress { Output.error("\r\u{1B}[K") }
        let elapsed = seconds(clock.now - start)
        let names = config.variantNames
        let truthFile = TruthFile(
            metric_id: config.mode.metric.rawValue, metric_family: config.mode.metric.family, effect: sums.effect,
            effect_components: sums.components,
            contrast_effects: Dictionary(sums.contrastEffects.enumerated().map { (names[$0.offset + 1], $0.element) }, uniquingKeysWith: { first, _ in first }),
            scenario: config.name, seed: config.seed, visitors: config.visitors, experiment_id: config.experimentID, variants: names,
            config: source)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        do { try encoder.encode(truthFile).write(to: URL(fileURLWithPath: jsonPath)) } catch {
            throw CLIError("cannot write '\(jsonPath)': \(error.localizedDescription)")
        }
        var files = ["truth.json": jsonPath]
        if writeObservedCSV { files["observed.csv"] = observedPath }
        if writeTruthCSV { files["truth.csv"] = truthPath }
        let variants = (0..<k).map { l in
            SimulateCommand.VariantSummary(
                variant: names[l], visitors: counts[l], conversions: conversions[l],
                conversion_rate: counts[l] > 0 ? Double(conversions[l]) / Double(counts[l]) : 0,
                revenue_per_visitor: config.mode.metric == .revenuePerVisitor && counts[l] > 0 ? revenue[l] / Double(counts[l]) : nil)
        }
        return Result(sums: sums, variants: variants, seconds: elapsed, files: files, bytes: (observed?.bytes ?? 0) + (truthCSV?.bytes ?? 0))
    }
}
