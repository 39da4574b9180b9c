import Foundation
public import HoldoutModel
public import HoldoutSimulation
public import HoldoutStore

/// Loads a simulated experiment into the store through the importer, as typed records (no
/// files): an experiment (variants weighted by the assignment shares, running), then
/// assignments, exposures, outcomes (one per converter, valued at its revenue) and covariates
/// (the config's calibration covariates).
///
/// Simulated visitors have no clock: every visitor is assigned and exposed at ``start``
/// (2026-01-01T00:00:00Z) and converts one hour later, inside the 7-day window. Visitor `i` is
/// profile `v<i>`; re-generating with the same seed gives the same visitors, so each kind is a
/// fresh pass over the simulation in constant memory.
///
/// ```swift
/// let report = try await SimulationLoader.load(config, key: "email-holdout", into: store)
/// ```
public enum SimulationLoader {
    /// What was loaded.
    public struct Report: Sendable, Encodable {
        public var experiment: String
        public var experimentID: Int64
        public var assignments: Int
        public var exposures: Int
        public var outcomes: Int
        public var covariates: Int
        public var rejected: Int
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case experiment
            case experimentID = "experiment_id"
            case assignments, exposures, outcomes, covariates, rejected, seconds
        }
    }

    /// 2026-01-01T00:00:00Z.
    public static let start = Timestamp(microseconds: 1_767_225_600_000_000)
    static let converted = Timestamp(microseconds: start.microseconds + 3_600_000_000)

    /// - Parameters:
    ///   - key: the experiment key; it must not exist yet.
    ///   - notes: the experiment's notes (where the truth files are).
    ///   - progress: called with each kind as its load starts.
    /// - Throws: ``HoldoutError`` `invalid_input` for a bad key, `conflict` when the experiment
    ///   exists, `database_error` when a row is refused (simulated rows never should be).
    public static func load(
        _ config: SimulationConfig, key: String, notes: String? = nil, into store: Store, progress: (@Sendable (ImportKind) -> Void)? = nil
    ) async throws -> Report {
        guard NewExperiment.isValidKey(key) else {
            throw HoldoutError(.invalidInput, "experiment key '\(key)' must be 1–64 letters, digits, '-', '_' or '.'", field: "experiment_key")
        }
        let clock = ContinuousClock()
        let begin = clock.now
        let names = config.variantNames
        let shares = config.assignment.shares(levels: config.mode.levels) ?? Array(repeating: 1 / Double(names.count), count: names.count)
        if try await store.experiment(key: key) != nil {
            throw HoldoutError(.conflict, "experiment '\(key)' already exists in the store", field: "experiment_key")
        }
        let experiment = try await store.createExperiment(
            NewExperiment(
                key: key, name: "Simulated \(config.name) (seed \(config.seed), \(config.visitors) visitors)", startAt: start,
                endAt: Timestamp(microseconds: start.microseconds + 30 * Timestamp.microsecondsPerDay), conversionWindowDays: 7,
                variants: zip(names, shares).map { Variant(name: $0, weight: $1) }, notes: notes))
        _ = try await store.setStatus(key: key, to: .running)
        let kinds: [ImportKind] = [.assignments, .exposures, .outcomes] + (config.covariates.isEmpty ? [] : [.covariates])
        var summaries: [ImportKind: ImportSummary] = [:]
        for kind in kinds {
            progress?(kind)
            let rows = SimulatedRecords(config: config, kind: kind)
            summaries[kind] = try await Importer(kind: kind, experiment: experiment, batchSize: 50_000).run(records: rows, name: "simulation", store: store)
            if let error = rows.failure.error { throw HoldoutError(.invalidInput, "the simulation failed: \(error)", field: "config", cause: error) }
        }
        let rejected = summaries.values.reduce(0) { $0 + $1.rejected }
        if rejected > 0 {
            let first = summaries.values.flatMap(\.firstRejects).first.map { $0.message } ?? ""
            throw HoldoutError(.database, "\(rejected) simulated rows were rejected by the store (first: \(first))")
        }
        func inserted(_ kind: ImportKind) -> Int { summaries[kind].map { $0.inserted + $0.duplicates } ?? 0 }
        let elapsed = clock.now - begin
        return Report(
            experiment: key, experimentID: experiment.id, assignments: inserted(.assignments), exposures: inserted(.exposures),
            outcomes: inserted(.outcomes), covariates: summaries[.covariates]?.read ?? 0, rejected: rejected,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
    }

}

/// A pass over a simulation as import records of one kind (one chunk of visitors in memory).
struct SimulatedRecords: Sequence {
    let config: SimulationConfig
    let kind: ImportKind
    /// Where a pass that stopped on a generation error leaves it (an iterator cannot throw).
    let failure = Failure()

    final class Failure: @unchecked Sendable {
        // @unchecked: written once by the importing task, read after it finished.
        var error: SimulationError?
    }

    struct Iterator: IteratorProtocol {
        let config: SimulationConfig
        let kind: ImportKind
        let failure: Failure
        let simulator: Simulator
        let streams: [Xoshiro256StarStar]
        var chunk = 0
        var buffer: [ImportRecord] = []
        var position = 0

        init(config: SimulationConfig, kind: ImportKind, failure: Failure) {
            self.config = config
            self.kind = kind
            self.failure = failure
            simulator = Simulator(config)
            streams = Simulator.streams(seed: config.seed, chunks: (config.visitors + Simulator.chunkSize - 1) / Simulator.chunkSize)
        }

        mutating func next() -> ImportRecord? {
            while position == buffer.count {
                guard chunk < streams.count else { return nil }
                var generator = streams[chunk]
                let offset = chunk * Simulator.chunkSize
                // A surface failing on a visitor ends the pass; the loader reports it.
                let count = Swift.min(Simulator.chunkSize, config.visitors - offset)
                do throws(SimulationError) {
                    buffer = rows(try simulator.generate(index: chunk, offset: offset, count: count, using: &generator))
                } catch {
                    failure.error = error
                    return nil
                }
                position = 0
                chunk += 1
            }
            defer { position += 1 }
            return buffer[position]
        }

        func rows(_ chunk: Simulator.Chunk) -> [ImportRecord] {
            let names = config.variantNames
            let isHurdle = config.mode.metric == .revenuePerVisitor
            var out: [ImportRecord] = []
            out.reserveCapacity(chunk.count)
            let columns = kind == .covariates ? config.covariates.map { chunk.features.numericColumn($0) } : []
            for i in 0..<chunk.count {
                let id = "v\(chunk.offset + i)"
                let variant = names[chunk.observation.level[i]]
                switch kind {
                case .assignments:
                    out.append(.assignment(profileID: id, variant: variant, assignedAt: SimulationLoader.start))
                case .exposures:
                    out.append(.exposure(profileID: id, at: .time(SimulationLoader.start), variant: variant, eventID: "exp-\(id)"))
                case .outcomes where chunk.observation.converted[i]:
                    out.append(
                        .outcome(
                            profileID: id, at: .time(SimulationLoader.converted), value: isHurdle ? chunk.observation.revenue[i] : 1, eventID: "conv-\(id)"))
                case .covariates:
                    out.append(.covariates(profileID: id, Dictionary(uniqueKeysWithValues: zip(config.covariates, columns.map { $0[i] }))))
                default: break
                }
            }
            return out
        }
    }

    func makeIterator() -> Iterator { Iterator(config: config, kind: kind, failure: failure) }
}
