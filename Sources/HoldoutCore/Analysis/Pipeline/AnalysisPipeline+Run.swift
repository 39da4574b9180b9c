import Crypto
public import Foundation
public import HoldoutModel
import HoldoutStats
public import HoldoutStore
import HoldoutUplift
import Synchronization

extension AnalysisPipeline {
    /// What a run produced: every stage's line and the outputs as JSON fragments (stage name →
    /// JSON text), reused or fresh.
    public struct Run: Sendable {
        public var experiment: String
        public var settings: Settings
        public var stages: [StageSummary]
        public var outputs: [Stage: String]

        /// The `--json` object: `{experiment, metric, mode, stages, srm, ab, cuped, uplift,
        /// policy, decision, reports}`.
        public func json() throws -> Data {
            var object: [String: Any] = [
                "experiment": experiment, "metric": settings.metric.isEmpty ? NSNull() : settings.metric, "mode": settings.mode.rawValue,
            ]
            let encoder = JSONEncoder()
            object["stages"] = try JSONSerialization.jsonObject(with: encoder.encode(stages))
            for (stage, key) in [(Stage.srm, "srm"), (.ab, "ab"), (.cuped, "cuped"), (.uplift, "uplift"), (.policy, "policy"), (.decision, "decision")] {
                object[key] = try outputs[stage].map { try JSONSerialization.jsonObject(with: Data($0.utf8), options: [.fragmentsAllowed]) } ?? NSNull()
            }
            let report = try outputs[.report].map { try JSONDecoder().decode(ReportOutput.self, from: Data($0.utf8)) }
            object["reports"] = report?.paths ?? []
            return try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
        }

        public func output<T: Decodable>(_ stage: Stage, as type: T.Type) -> T? {
            outputs[stage].flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
        }
    }

    /// Runs (or reuses) every stage for `experiment`.
    ///
    /// - Parameters:
    ///   - force: run every stage even when its inputs did not change.
    ///   - outDirectory: where the reports go.
    ///   - truthCSV: a simulator's `truth.csv`, for the correlation of predicted and true CATE.
    ///   - progress: called with each stage as it starts.
    /// - Throws: ``HoldoutError`` for bad settings or when the store fails; a stage's own error
    ///   is its `failed` status instead.
    public static func run(
        experiment: Experiment, store: Store, settings: Settings, force: Bool = false, outDirectory: String, truthCSV: String? = nil,
        progress: (@Sendable (Stage) -> Void)? = nil
    ) async throws -> Run {
        try settings.validate()
        guard experiment.variants.count == 2 else {
            throw HoldoutError(
                .invalidInput, "holdout analyze compares two variants; '\(experiment.key)' has \(experiment.variants.count)", field: "experiment")
        }
        let runKey = settings.runKey
        let recorded = Dictionary(
            try await store.analysisStages(experimentID: experiment.id, run: runKey).map { ($0.stage, $0) }, uniquingKeysWith: { _, last in last })
        var runner = StageRunner(experimentID: experiment.id, runKey: runKey, recorded: recorded, force: force, store: store, progress: progress)
        let counts = try await store.inputCounts(experimentID: experiment.id)
        // Every metric present, the run's own first (A/B and CUPED cover them all; uplift, the
        // policy and the decision use the run's).
        let stored = try await store.outcomeMetrics(experimentID: experiment.id)
        let metrics = [settings.metric] + stored.filter { $0 != settings.metric }
        let primary = Self.metricKey(settings.metric)
        let countsText = counts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
        let names = experiment.variants.map(\.name)
        let weights = experiment.variants.map(\.weight)

        // load
        let load: LoadOutput? = await runner.stage(.load, inputs: [countsText, names.joined(separator: ","), metrics.joined(separator: "\u{1}")]) {
            let statistics = try await store.variantStatistics(experimentID: experiment.id, mode: .itt, metric: settings.metric)
            var units: [String: Int] = [:]
            for name in names { units[name] = statistics.first { OpaqueID($0.variant) == OpaqueID(name) }?.units ?? 0 }
            let features = try await store.featureNames(experimentID: experiment.id)
            return (.ok, nil, LoadOutput(units: units, counts: counts, featureNames: features, metrics: metrics.map(Self.metricKey)))
        }

        // srm
        let srm: SRMOutput? = await runner.stage(.srm, inputs: ["\(weights)", "\(settings.srmThreshold)"], after: [.load]) {
            guard let load else { return (.skipped, "load failed", nil) }
            let observed = names.map { load.units[$0] ?? 0 }
            guard observed.reduce(0, +) > 0 else { return (.skipped, "no assigned units", nil) }
            let test = try SampleRatioMismatch(observed: observed, weights: weights, threshold: settings.srmThreshold)
            let total = weights.reduce(0, +)
            return (
                .ok, nil,
                SRMOutput(
                    chi2: test.chi2, pValue: test.pValue, srmDetected: test.isDetected, threshold: settings.srmThreshold, observed: observed,
                    plannedShares: weights.map { $0 / total })
            )
        }
        let halt: String? =
            srm.flatMap { s in
                s.srmDetected
                    ? "halted by the SRM gate: the split \(s.observed.map(String.init).joined(separator: "/")) is unlikely under the planned shares \(s.plannedShares.map { Self.format($0) }.joined(separator: "/")) (p = \(Self.format(s.pValue)) < \(Self.format(s.threshold))); check the assignment code, bot filtering and data loss before reading any result"
                    : nil
            } ?? (srm == nil ? "no SRM check (its stage did not run)" : nil)

        // ab
        let abText: String? = await runner.stageJSON(.ab, inputs: ["\(settings.alpha)", settings.mode.rawValue], after: [.load, .srm], halt: halt) {
            var byMetric: [String: ExperimentResults] = [:]
            for metric in metrics {
                byMetric[Self.metricKey(metric)] = try await ResultsService.compute(
                    experiment: experiment, source: store, mode: settings.mode, alpha: settings.alpha, metric: metric)
            }
            return String(decoding: try JSONEncoder.sorted.encode(byMetric), as: UTF8.self)
        }
        let abAll = abText.flatMap { try? JSONDecoder().decode([String: ABDigest].self, from: Data($0.utf8)) } ?? [:]
        let ab = abAll[primary]

        // cuped and uplift share one pass over the units.
        let features = load?.featureNames ?? []
        var pass: UnitPass?
        func unitPass() async throws -> UnitPass {
            if let pass { return pass }
            let units = Self.total(load, names)
            let made = try await UnitPass.read(
                store: store, experimentID: experiment.id, metrics: metrics, control: names[0], treatment: names[1], featureCount: features.count,
                sampleRate: units > 0 ? min(1, Double(settings.upliftRows) / Double(units)) : 1, trainFraction: settings.trainFraction, seed: settings.seed)
            pass = made
            return made
        }
        let noFeatures =
            features.isEmpty ? "the experiment has no packed pre-experiment features (a Criteo import stores f0…f11); CUPED on unit_covariates is in ab" : nil
        let cupedAll: [String: CUPEDOutput]? = await runner.stage(.cuped, inputs: ["\(settings.alpha)"], after: [.load, .ab], halt: halt, skip: noFeatures) {
            let pass = try await unitPass()
            var byMetric: [String: CUPEDOutput] = [:]
            for (index, metric) in metrics.enumerated() {
                byMetric[Self.metricKey(metric)] = try pass.cuped(metric: index, covariates: features, alpha: settings.alpha)
            }
            return (.ok, nil, byMetric)
        }
        let cuped = cupedAll?[primary]

        let learnerInputs = [
            settings.learners.map(\.description).joined(separator: ","), "\(settings.upliftRows)", "\(settings.trainFraction)", "\(settings.k)",
            "\(settings.trees)", "\(settings.depth)", "\(settings.learningRate)", "\(settings.minLeaf)", "\(settings.seed)", truthCSV ?? "",
        ]
        let uplift: UpliftOutput? = await runner.stage(.uplift, inputs: learnerInputs, after: [.ab], halt: halt, skip: noFeatures) {
            let pass = try await unitPass()
            let truth = try truthCSV.map { try TruthFile.cate(path: $0, rows: pass.sampleRowNumbers()) }
            return (.ok, nil, try pass.uplift(settings: settings, featureNames: features, propensity: weights[1] / weights.reduce(0, +), truth: truth))
        }

        // policy
        let units = Self.total(load, names)
        let policy: PolicyOutput? = await runner.stage(.policy, inputs: ["\(settings.k)", "\(units)"], after: [.uplift], halt: halt) {
            guard let uplift else { return (.skipped, "no uplift model was trained", nil) }
            var ranked: [(name: String, score: Double, learner: UpliftOutput.Learner)] = []
            for (name, learner) in uplift.learners {
                if let score = learner.metrics.qiniAUCScore { ranked.append((name, score, learner)) }
            }
            ranked.sort { $0.score != $1.score ? $0.score > $1.score : $0.name < $1.name }
            guard let best = ranked.first, var policy = best.learner.metrics.policy else {
                return (.skipped, "no learner has a defined Qini coefficient on the evaluation rows", nil)
            }
            // Scale to the whole cohort: the evaluation rows are a sample of it.
            let scale = Double(units) / Double(max(policy.population, 1))
            policy.population = units
            policy.targeted = Int((Double(policy.targeted) * scale).rounded())
            policy.incrementalTargeted *= scale
            policy.incrementalRandom *= scale
            policy.incrementalOverRandom *= scale
            policy.intervals = nil
            return (.ok, nil, PolicyOutput(learner: best.name, policy: policy))
        }

        // decision
        let decision: DecisionOutput? = await runner.stage(.decision, inputs: ["\(settings.minimumEffect)", "\(settings.alpha)"], after: [.srm, .ab, .cuped]) {
            (.ok, nil, Self.decide(srm: srm, ab: ab, cuped: cuped, settings: settings))
        }

        // report
        // A report file removed since the last run is written again.
        let present = ReportWriter.files.allSatisfy {
            FileManager.default.fileExists(atPath: URL(fileURLWithPath: outDirectory).appendingPathComponent($0).path)
        }
        let stagesSoFar = runner.summaries
        _ = await runner.stage(.report, inputs: [outDirectory], after: Stage.allCases.filter { $0 != .report && $0 != .load }, reuse: present) {
            // The cumulative series for the chart (the A/B stage's cohort by assignment day).
            let series = halt == nil ? try await TimeSeries.points(experiment: experiment, source: store, now: store.clock(), metric: settings.metric) : []
            let paths = try ReportWriter.write(
                to: outDirectory, experiment: experiment, settings: settings, stages: stagesSoFar, load: load, srm: srm, ab: abAll, cuped: cupedAll ?? [:],
                uplift: uplift, policy: policy, decision: decision, timeSeries: series)
            return (.ok, nil, ReportOutput(paths: paths))
        }
        return Run(experiment: experiment.key, settings: settings, stages: runner.summaries, outputs: runner.outputs)
    }

    /// A metric's key in the outputs: its name, `default` for the experiment's default metric.
    public static func metricKey(_ metric: String) -> String { metric.isEmpty ? "default" : metric }

    /// Assigned units over the variants.
    static func total(_ load: LoadOutput?, _ names: [String]) -> Int {
        guard let load else { return 0 }
        return names.reduce(0) { $0 + (load.units[$1] ?? 0) }
    }

    /// The decision rule, in order: SRM → investigate; not enough data → keep running;
    /// significant negative → do not ship; significant positive → ship; otherwise keep running
    /// when underpowered for the minimum effect, else do not ship.
    static func decide(srm: SRMOutput?, ab: ABDigest?, cuped: CUPEDOutput?, settings: Settings) -> DecisionOutput {
        if let srm, srm.srmDetected {
            return DecisionOutput(
                verdict: .investigate, rule: "srm",
                explanation:
                    "sample ratio mismatch (p = \(format(srm.pValue)) < \(format(srm.threshold))): the split is not what was planned, so no effect estimate can be trusted",
                numbers: ["srm_p_value": srm.pValue, "srm_chi2": srm.chi2])
        }
        guard let arm = ab?.comparisons.first else {
            return DecisionOutput(verdict: .investigate, rule: "no_result", explanation: "the A/B stage produced no comparison", numbers: [:])
        }
        let primary = cuped?.comparison ?? arm.conversion
        let metric = settings.metric.isEmpty ? "conversion" : settings.metric
        let source = cuped == nil ? "\(metric) rate" : "CUPED-adjusted \(metric) rate"
        var numbers: [String: Double] = ["control_rate": arm.conversion.controlMean, "treatment_rate": arm.conversion.treatmentMean]
        numbers["uplift_abs"] = primary.upliftAbs
        numbers["ci_low"] = primary.ciLow
        numbers["ci_high"] = primary.ciHigh
        numbers["p_value"] = primary.pValue
        if arm.insufficientData || primary.ciLow == nil || primary.ciHigh == nil {
            return DecisionOutput(
                verdict: .keepRunning, rule: "insufficient_data", explanation: "not enough data to compare: \(arm.reason ?? "an arm is too small")",
                numbers: numbers)
        }
        let (low, high) = (primary.ciLow ?? 0, primary.ciHigh ?? 0)
        let level = "\(format((1 - settings.alpha) * 100))%"
        if high < 0 {
            return DecisionOutput(
                verdict: .doNotShip, rule: "significant_negative",
                explanation: "the \(source) lift is negative: its \(level) interval [\(format(low)), \(format(high))] lies below 0", numbers: numbers)
        }
        if low > 0 {
            return DecisionOutput(
                verdict: .ship, rule: "significant_positive",
                explanation: "the \(source) lift is positive: its \(level) interval [\(format(low)), \(format(high))] lies above 0", numbers: numbers)
        }
        // Minimum detectable lift at 80% power from the observed standard error.
        let z = Normal.quantile(1 - settings.alpha / 2)
        let se = (high - low) / (2 * z)
        let mde = (z + Normal.quantile(0.8)) * se
        let base = arm.conversion.controlMean
        let relative = base > 0 ? mde / base : .infinity
        numbers["mde_abs"] = mde
        if relative.isFinite { numbers["mde_rel"] = relative }
        if relative > settings.minimumEffect {
            return DecisionOutput(
                verdict: .keepRunning, rule: "underpowered",
                explanation:
                    "no significant effect, and with this much data only a lift of \(format(relative * 100))% or more would be detected 80% of the time (the minimum worth detecting: \(format(settings.minimumEffect * 100))%)",
                numbers: numbers)
        }
        return DecisionOutput(
            verdict: .doNotShip, rule: "no_effect",
            explanation:
                "no significant effect, although a lift of \(format(relative * 100))% would have been detected 80% of the time: any effect is below the \(format(settings.minimumEffect * 100))% worth shipping",
            numbers: numbers)
    }

    static func format(_ x: Double) -> String {
        guard x.isFinite else { return "\(x)" }
        if x != 0 && abs(x) < 1e-3 { return String(format: "%.3g", x) }
        return String(format: "%.4g", x)
    }
}

extension JSONEncoder {
    /// Sorted keys: the same output gives the same fingerprint and cached text.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }
}

/// Runs stages, reusing recorded ones whose fingerprint matches, and records the rest.
struct StageRunner {
    let experimentID: Int64
    let runKey: String
    let recorded: [String: StageRecord]
    let force: Bool
    let store: Store
    let progress: (@Sendable (AnalysisPipeline.Stage) -> Void)?
    var summaries: [AnalysisPipeline.StageSummary] = []
    var outputs: [AnalysisPipeline.Stage: String] = [:]
    var fingerprints: [AnalysisPipeline.Stage: String] = [:]

    init(
        experimentID: Int64, runKey: String, recorded: [String: StageRecord], force: Bool, store: Store,
        progress: (@Sendable (AnalysisPipeline.Stage) -> Void)?
    ) {
        self.experimentID = experimentID
        self.runKey = runKey
        self.recorded = recorded
        self.force = force
        self.store = store
        self.progress = progress
    }

    /// A typed stage: `body` returns its status, reason and output.
    ///
    /// - Parameters:
    ///   - after: upstream stages, whose fingerprints are inputs.
    ///   - halt: when set, the stage does not run: `halted` with this reason.
    ///   - skip: when set (and not halted), the stage does not apply: `skipped` with this reason.
    ///   - reuse: false runs the stage even when its fingerprint matches (its files are gone).
    mutating func stage<T: Codable & Sendable>(
        _ name: AnalysisPipeline.Stage, inputs: [String], after: [AnalysisPipeline.Stage] = [], halt: String? = nil, skip: String? = nil,
        reuse: Bool = true, _ body: () async throws -> (AnalysisPipeline.Status, String?, T?)
    ) async -> T? {
        let text = await stageText(name, inputs: inputs, after: after, halt: halt, skip: skip, reuse: reuse) {
            let (status, reason, value) = try await body()
            return (status, reason, try value.map { String(decoding: try JSONEncoder.sorted.encode($0), as: UTF8.self) })
        }
        return text.flatMap { try? JSONDecoder().decode(T.self, from: Data($0.utf8)) }
    }

    /// A stage whose output is JSON text already.
    mutating func stageJSON(
        _ name: AnalysisPipeline.Stage, inputs: [String], after: [AnalysisPipeline.Stage], halt: String? = nil, _ body: () async throws -> String
    ) async -> String? {
        await stageText(name, inputs: inputs, after: after, halt: halt, skip: nil, reuse: true) { (.ok, nil, try await body()) }
    }

    /// The runner itself: `body` returns the stage's status, reason and output as JSON text.
    private mutating func stageText(
        _ name: AnalysisPipeline.Stage, inputs: [String], after: [AnalysisPipeline.Stage], halt: String?, skip: String?, reuse: Bool,
        _ body: () async throws -> (AnalysisPipeline.Status, String?, String?)
    ) async -> String? {
        var hasher = SHA256()
        hasher.update(data: Data(name.rawValue.utf8))
        for input in inputs + after.map({ fingerprints[$0] ?? "-" }) {
            hasher.update(data: Data([0]))
            hasher.update(data: Data(input.utf8))
        }
        hasher.update(data: Data((halt ?? "").utf8))
        hasher.update(data: Data([0]))
        hasher.update(data: Data((skip ?? "").utf8))
        let fingerprint = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        fingerprints[name] = fingerprint
        if !force, reuse, let old = recorded[name.rawValue], old.fingerprint == fingerprint, old.status != AnalysisPipeline.Status.failed.rawValue,
            let status = AnalysisPipeline.Status(rawValue: old.status)
        {
            summaries.append(
                .init(name: name, status: status, reason: old.reason, durationSeconds: old.durationSeconds, cached: true, fingerprint: fingerprint))
            if old.output != "null" { outputs[name] = old.output }
            return old.output == "null" ? nil : old.output
        }
        progress?(name)
        let clock = ContinuousClock()
        let start = clock.now
        var status: AnalysisPipeline.Status
        var reason: String?
        var output: String?
        if let halt {
            (status, reason) = (.halted, halt)
        } else if let skip {
            (status, reason) = (.skipped, skip)
        } else {
            do {
                (status, reason, output) = try await body()
            } catch {
                status = .failed
                reason = (error as? HoldoutError)?.message ?? "\(error)"
            }
        }
        let elapsed = clock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        summaries.append(.init(name: name, status: status, reason: reason, durationSeconds: seconds, cached: false, fingerprint: fingerprint))
        if let output { outputs[name] = output }
        try? await store.saveAnalysisStage(
            experimentID: experimentID, run: runKey,
            StageRecord(
                stage: name.rawValue, status: status.rawValue, reason: reason, fingerprint: fingerprint, durationSeconds: seconds, output: output ?? "null",
                updatedAt: store.clock()))
        return output
    }
}
