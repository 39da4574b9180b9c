import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStore

struct AnalyzeExperimentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Run seed 002's analysis of an experiment: SRM gate, A/B, CUPED, uplift models, targeting policy, decision, report.",
        discussion: """
            Stages, each recorded in the store with its status (ok, skipped, halted, failed), the fingerprint \\
            of its inputs, its duration and its output: load → srm → ab → cuped → uplift → policy → decision → \\
            report. A rerun reuses every stage whose inputs did not change (--force recomputes). An SRM p-value \\
            below --srm-threshold (against the experiment's planned weights) halts every stage after it; a halt \\
            is a result (exit 0), the report says why. CUPED and the uplift learners need the units' packed \\
            features (a Criteo import stores f0…f11) and read the randomized cohort; the learners train on a \\
            seeded sample of at most --uplift-rows units (70% train, 30% evaluation). The decision is ship, \\
            do_not_ship, keep_running or investigate, with the rule that fired and its numbers. The report is \\
            DIR/decision-report.md (default DIR: analysis/KEY).

            Examples:
              holdout import criteo --experiment criteo --file criteo-uplift-v2.1.csv.gz
              holdout analyze --experiment criteo --metric visit
              holdout analyze --experiment criteo --metric conversion --learners s:gbdt,t:logistic --json
              holdout analyze --experiment criteo --metric visit --status
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case itt, exposure }

    @OptionGroup var db: DatabaseOptions
    @OptionGroup var experiment: ExperimentOption
    @Option(help: ArgumentHelp("The outcome metric (e.g. visit or conversion after a Criteo import; default: the experiment's default).", valueName: "name"))
    var metric: String?
    @Option(help: "itt (every assigned unit) or exposure (units with a valid exposure) for the A/B stage.") var mode: Mode = .itt
    @Option(help: ArgumentHelp("Where the report goes (default analysis/KEY).", valueName: "dir")) var out: String?
    @Flag(help: "Recompute every stage, even those whose inputs did not change.") var force = false
    @Flag(help: "Print the recorded stages of this experiment, metric and mode, and exit.") var status = false
    @Option(
        help: ArgumentHelp(
            "Uplift learners as meta:base, comma-separated (meta: s, t, x, class-transformation, transformed-outcome; base: gbdt, logistic).", valueName: "list"
        ))
    var learners: String = "s:gbdt,class-transformation:logistic"
    @Option(help: "At most this many units (a seeded sample) train and evaluate the learners.") var upliftRows = 1_000_000
    @Option(help: "Significance level.") var alpha = 0.05
    @Option(help: "SRM p-values below this halt the analysis.") var srmThreshold = 0.001
    @Option(help: "The smallest relative lift worth detecting (decides keep running vs do not ship).") var minimumEffect = 0.05
    @Option(help: "Share of the ranking targeted by the policy and in uplift@k.") var k = 0.3
    @Option(help: "GBDT trees.") var trees = 100
    @Option(help: "GBDT depth.") var depth = 6
    @Option(help: "Seed of the sample, the split and the learners.") var seed: UInt64 = 1
    @Option(help: ArgumentHelp("A simulator's truth.csv: also report each learner's correlation with the true CATE.", valueName: "file"))
    var truth: String?
    @Flag(help: "Print one JSON object.") var json = false

    func settings() throws -> AnalysisPipeline.Settings {
        var s = AnalysisPipeline.Settings()
        s.metric = metric ?? ""
        s.mode = mode == .itt ? .itt : .exposure
        s.alpha = alpha
        s.srmThreshold = srmThreshold
        s.minimumEffect = minimumEffect
        s.k = k
        s.trees = trees
        s.depth = depth
        s.seed = seed
        s.upliftRows = upliftRows
        s.learners = try learners.split(separator: ",").map { try UpliftLearnerChoice(parsing: String($0).trimmingCharacters(in: .whitespaces)) }
        try s.validate()
        return s
    }

    func validate() throws {
        if let metric, metric.isEmpty { throw ValidationError("--metric must name a metric (omit it for the experiment's default)") }
        if let truth, !FileManager.default.isReadableFile(atPath: truth) { throw ValidationError("--truth: cannot read '\(truth)'") }
    }

    func run() async throws {
        let settings = try settings()
        let key = experiment.key
        let directory = out ?? "analysis/\(key)"
        let interactive = isatty(STDERR_FILENO) == 1 && !json
        if status {
            let records = try await db.with { store in
                let experiment = try await store.requireExperiment(key: key)
                return try await store.analysisStages(experimentID: experiment.id, run: settings.runName)
            }
            if json { return try Output.json(records) }
            guard !records.isEmpty else { return print("no recorded stages for '\(key)' (\(settings.runName)); run holdout analyze --experiment \(key)") }
            print(
                Output.table(
                    header: ["stage", "status", "seconds", "recorded", "reason"],
                    rows: records.map { [$0.stage, $0.status, Output.number($0.durationSeconds, digits: 3), $0.updatedAt.description, $0.reason ?? ""] }))
            return
        }
        let run = try await db.with { store in
            let experiment = try await store.requireExperiment(key: key)
            return try await AnalysisPipeline.run(
                experiment: experiment, store: store, settings: settings, force: force, outDirectory: directory, truthCSV: truth,
                progress: { stage in if interactive { Output.error("\r\(stage.rawValue)…\u{1B}[K") } })
        }
        if interactive { Output.error("\r\u{1B}[K") }
        if json {
            FileHandle.standardOutput.write(try run.json())
            print()
            return
        }
        print("\(key): \(settings.runName)")
        print(
            Output.table(
                header: ["stage", "status", "seconds", "reason"],
                rows: run.stages.map {
                    [$0.name.rawValue, $0.status.rawValue + ($0.cached ? " (cached)" : ""), Output.number($0.durationSeconds, digits: 3), $0.reason ?? ""]
                }))
        if let decision = run.output(.decision, as: AnalysisPipeline.DecisionOutput.self) {
            print("decision: \(decision.verdict.rawValue) (\(decision.rule)): \(decision.explanation)")
        }
        if let report = run.output(.report, as: AnalysisPipeline.ReportOutput.self) { print("report: \(report.paths.joined(separator: ", "))") }
    }
}
