import Foundation
import HoldoutModel
import HoldoutSimulation
import HoldoutStore

/// Loads a simulated experiment into the store through the same importer as `holdout import`:
/// an experiment (variants weighted by the assignment shares), then assignments, exposures,
/// outcomes (one per converter, valued at its revenue) and covariates (the config's calibration
/// covariates), from CSV files written next to the simulation's outputs (`DIR/load/`).
///
/// Simulated visitors have no clock: every visitor is assigned and exposed at `start`
/// (2026-01-01T00:00:00Z) and converts one hour later, inside the 7-day window.
struct DatabaseLoad {
    var config: SimulationConfig
    var directory: String
    var key: String
    var db: DatabaseOptions
    var progress: Bool

    struct Report: Encodable {
        var experiment: String
        var experiment_id: Int64
        var assignments: Int
        var exposures: Int
        var outcomes: Int
        var covariates: Int
        var rejected: Int
        var seconds: Double
    }

    static let start = Timestamp(microseconds: 1_767_225_600_000_000)  // 2026-01-01T00:00:00Z

    func run() async throws -> Report {
        guard NewExperiment.isValidKey(key) else {
            throw CLIError("experiment key '\(key)' must be 1–64 letters, digits, '-', '_' or '.'; pass --experiment-key")
        }
        let clock = ContinuousClock()
        let begin = clock.now
        let files = try writeLoadFiles()
        let names = config.variantNames
        let shares = config.assignment.shares(levels: config.mode.levels) ?? Array(repeating: 1 / Double(names.count), count: names.count)
        let variants = zip(names, shares).map { Variant(name: $0, weight: $1) }
        let summaries: [ImportSummary]
        let experimentID: Int64
        (experimentID, summaries) = try await db.with { store in
            if try await store.experiment(key: key) != nil {
                throw CLIError("experiment '\(key)' already exists in the store; pass --experiment-key NEW_KEY (or use another --database)")
            }
            let experiment = try await store.createExperiment(
                NewExperiment(
                    key: key, name: "Simulated \(config.name) (seed \(config.seed), \(config.visitors) visitors)", startAt: Self.start,
                    endAt: Timestamp(microseconds: Self.start.microseconds + 30 * Timestamp.microsecondsPerDay), conversionWindowDays: 7,
                    variants: variants, notes: "holdout simulate: true \(config.mode.metric.rawValue) effect in \(directory)/truth.json"))
            _ = try await store.setStatus(key: key, to: .running)
            var out: [ImportSummary] = []
            for (kind, path) in files {
                if progress { Output.error("\rloading \(kind.rawValue)…\u{1B}[K") }
                out.append(try await Importer(kind: kind, experiment: experiment, batchSize: 50_000).run(path: path, store: store))
            }
            return (experiment.id, out)
        }
        if progress { Output.error("\r\u{1B}[K") }
        func inserted(_ kind: ImportKind) -> Int { summaries.first { $0.kind == kind }.map { $0.inserted + $0.duplicates } ?? 0 }
        let rejected = summaries.reduce(0) { $0 + $1.rejected }
        if rejected > 0 {
            let first = summaries.flatMap(\.firstRejects).first.map { $0.message } ?? ""
            throw CLIError("\(rejected) simulated rows were rejected by the store (first: \(first))")
        }
        return Report(
            experiment: key, experiment_id: experimentID, assignments: inserted(.assignments), exposures: inserted(.exposures),
            outcomes: inserted(.outcomes), covariates: summaries.first { $0.kind == .covariates }?.read ?? 0, rejected: rejected,
            seconds: seconds(clock.now - begin))
    }

    /// Regenerates the visitors (same seed, same values) and writes the import files.
    func writeLoadFiles() throws -> [(ImportKind, String)] {
        let dir = URL(fileURLWithPath: directory).appendingPathComponent("load")
        do { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) } catch {
            throw CLIError("cannot create '\(dir.path)': \(error.localizedDescription)")
        }
        let kinds: [ImportKind] = [.assignments, .exposures, .outcomes, .covariates]
        let sinks = try kinds.map { kind throws(CLIError) in try FileSink(path: dir.appendingPathComponent("\(kind.rawValue).csv").path) }
        defer { sinks.forEach { $0.close() } }
        let covariates = config.covariates
        let time = "2026-01-01T00:00:00Z"
        let converted = "2026-01-01T01:00:00Z"
        try sinks[0].write("profile_id,group,assigned_at\n")
        try sinks[1].write("profile_id,exposure_ts,variant,event_id\n")
        try sinks[2].write("profile_id,conversion_ts,value,event_id\n")
        try sinks[3].write((["profile_id"] + covariates).joined(separator: ",") + "\n")
        let names = config.variantNames.map { Array($0.utf8) }
        let isHurdle = config.mode.metric == .revenuePerVisitor
        try simulation {
            try Simulator(config).run(
                transform: { chunk in
                    var files = [[UInt8]](repeating: [], count: 4)
                    let columns = covariates.map { chunk.features.numericColumn($0) }
                    for i in 0..<chunk.count {
                        let id = Array("v\(chunk.offset + i)".utf8)
                        let variant = names[chunk.observation.level[i]]
                        files[0] += id + Array(",".utf8) + variant + Array(",\(time)\n".utf8)
                        files[1] += id + Array(",\(time),".utf8) + variant + Array(",exp-".utf8) + id + [10]
                        if chunk.observation.converted[i] {
                            files[2] += id + Array(",\(converted),".utf8)
                            CSVEncoding.appendFixed(isHurdle ? chunk.observation.revenue[i] : 1, decimals: 6, to: &files[2])
                            files[2] += Array(",conv-".utf8) + id + [10]
                        }
                        files[3] += id
                        for column in columns {
                            files[3].append(UInt8(ascii: ","))
                            CSVEncoding.appendFixed(column[i], decimals: 6, to: &files[3])
                        }
                        files[3].append(10)
                    }
                    return files
                },
                consume: { files in
                    for (sink, bytes) in zip(sinks, files) { try sink.write(bytes) }
                })
        }
        let loaded = zip(kinds, sinks.map(\.path)).map { ($0, $1) }
        return covariates.isEmpty ? Array(loaded.prefix(3)) : loaded
    }
}
