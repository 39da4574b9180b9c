import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats
import HoldoutStore

struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Run the data contracts; exits non-zero when any fails.",
        discussion: """
            Unique keys, not-null, accepted variant values and exposure timing (seed 003's dbt tests), per \
            experiment. Warnings are listed but do not fail.

            Examples:
              holdout check                       # every experiment
              holdout check --experiment email-q1 --json
            """)

    @OptionGroup var db: DatabaseOptions
    @Option(name: .customLong("experiment"), help: "Only this experiment.") var experimentKey: String?
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var passed: Bool
        var failures: Int
        var results: [ContractResult]
    }

    func run() async throws {
        let report = try await db.with { store in
            var experiments: [Experiment]
            if let experimentKey {
                experiments = [try await store.requireExperiment(key: experimentKey)]
            } else {
                experiments = try await store.experiments()
            }
            var results: [ContractResult] = []
            for experiment in experiments { results += try await store.checkContracts(experiment: experiment) }
            let failures = results.filter { !$0.passed && $0.severity == .error }.count
            return Report(passed: failures == 0, failures: failures, results: results)
        }
        if json {
            try Output.json(report)
        } else {
            print(
                Output.table(
                    header: ["experiment", "contract", "violations", "result"],
                    rows: report.results.map {
                        [$0.experiment, $0.contract, "\($0.violations)", $0.passed ? "ok" : ($0.severity == .error ? "FAIL" : "warn")]
                    }))
            print(report.passed ? "all contracts pass" : "\(report.failures) contract\(report.failures == 1 ? "" : "s") failed")
        }
        if !report.passed { throw ExitCode(1) }
    }
}

struct QualityCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quality",
        abstract: "Daily exposure health: assigned, exposed, exposure and valid-exposure rates, mismatches, statuses.",
        discussion: "One row per UTC day of assignment. Example: holdout quality --experiment email-q1")

    @OptionGroup var db: DatabaseOptions
    @OptionGroup var experiment: ExperimentOption
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var experiment: String
        var days: [QualityDay]
    }

    func run() async throws {
        let report = try await db.with { store in
            let experiment = try await store.requireExperiment(key: experiment.key)
            return Report(experiment: experiment.key, days: try await store.dailyQuality(experimentID: experiment.id))
        }
        if json { return try Output.json(report) }
        if report.days.isEmpty { return print("no assignments yet in \(report.experiment)") }
        let statuses = ValidationStatus.allCases.map(\.rawValue).filter { $0 != "valid" }
        print(
            Output.table(
                header: ["date", "assigned", "exposed", "exposure", "valid", "mismatch"] + statuses,
                rows: report.days.map { d in
                    [
                        d.date, "\(d.assigned)", "\(d.exposed)", String(format: "%.4f", d.exposureRate), String(format: "%.4f", d.validExposureRate),
                        String(format: "%.4f", d.mismatchRate),
                    ] + statuses.map { "\(d.statusCounts[$0] ?? 0)" }
                }))
    }
}

struct ResultsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "results",
        abstract: "Compute an experiment's results from the store (seed 001's results object).",
        discussion: """
            --mode is required: itt counts every assigned unit from its assignment; exposure counts only units \
            with a valid exposure, from their first exposure. Conversions count within the experiment's window. \
            Each computation is stored in experiment_results. Results are flagged insufficient_data when an arm \
            has fewer than 30 units or 5 conversions.

            Examples:
              holdout results --experiment email-q1 --mode itt
              holdout results --experiment email-q1 --mode exposure --cap-percentile 0.99 --json
              holdout results --experiment criteo --mode itt --metric visit
            """)

    enum Mode: String, ExpressibleByArgument, CaseIterable { case itt, exposure }

    @OptionGroup var db: DatabaseOptions
    @OptionGroup var experiment: ExperimentOption
    @Option(help: "itt or exposure.") var mode: Mode
    @Option(help: "Significance level.") var alpha = 0.05
    @Option(help: "Cap each unit's value at this amount before summing.") var capValue: Double?
    @Option(help: "Cap each unit's value at this quantile of all units' values (e.g. 0.99).") var capPercentile: Double?
    @Option(help: "Also break results down by this unit property (imported with `holdout import properties`), with per-segment SRM.")
    var segmentBy: String?
    @Option(
        help: ArgumentHelp(
            "An outcome metric other than the experiment's default (e.g. visit or conversion after `holdout import criteo`). Results of another metric are printed, not stored.",
            valueName: "name"))
    var metric: String?
    @Flag(help: "Print one JSON object.") var json = false

    struct Report: Encodable {
        var results: ExperimentResults
        var segments: [SegmentResult]?

        func encode(to encoder: any Encoder) throws {
            try results.encode(to: encoder)
            if let segments {
                var c = encoder.container(keyedBy: Key.self)
                try c.encode(segments, forKey: .segments)
            }
        }
        enum Key: String, CodingKey { case segments }
    }

    func validate() throws {
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1)") }
        if capValue != nil && capPercentile != nil { throw ValidationError("give --cap-value or --cap-percentile, not both") }
        if let q = capPercentile, !(q > 0 && q < 1) { throw ValidationError("--cap-percentile must be in (0, 1), e.g. 0.99") }
        if let metric, metric.isEmpty { throw ValidationError("--metric must name a metric (omit it for the experiment's default)") }
        if metric != nil && segmentBy != nil { throw ValidationError("--segment-by applies to the default metric; drop --metric or --segment-by") }
    }

    func run() async throws {
        let cap: ValueCap? = capValue.map { .absolute($0) } ?? capPercentile.map { .percentile($0) }
        let analysisMode: AnalysisMode = mode == .itt ? .itt : .exposure
        let report = try await db.with { store in
            let experiment = try await store.requireExperiment(key: experiment.key)
            let results = try await ResultsService.compute(
                experiment: experiment, source: store, mode: analysisMode, alpha: alpha, cap: cap, metric: metric ?? "", saveTo: metric == nil ? store : nil)
            let segments = try await segmentBy.asyncMap {
                try await ResultsService.segments(experiment: experiment, source: store, mode: analysisMode, segmentBy: $0, alpha: alpha)
            }
            return Report(results: results, segments: segments)
        }
        let results = report.results
        if json { return try Output.json(report) }
        print("\(results.experimentKey) [\(results.status.rawValue)], \(results.analysisMode.rawValue) analysis")
        print(
            Output.table(
                header: ["variant", "units", "conversions", "rate", "total value"],
                rows: results.arms.map { [$0.variant, "\($0.n)", "\($0.conversions)", Output.number($0.conversionRate), Output.number($0.totalValue)] }))
        print("")
        print(CompareCommand.render(results.comparisons.map { ("\($0.variant) conversion", $0.conversion) }, method: .frequentist, alpha: alpha))
        print("")
        print(CompareCommand.render(results.comparisons.map { ("\($0.variant) value/unit", $0.revenue) }, method: .frequentist, alpha: alpha))
        for c in results.comparisons {
            print(
                "\(c.variant): always-valid interval [\(Output.number(c.sequential.ciLow)), \(Output.number(c.sequential.ciHigh))], decision \(c.sequential.decision.rawValue)"
            )
            if let cuped = c.cuped {
                print(
                    "\(c.variant): CUPED value lift \(Output.number(cuped.comparison.upliftAbs)) [\(Output.number(cuped.comparison.ciLow)), \(Output.number(cuped.comparison.ciHigh))], variance reduction \(Output.percent(cuped.varianceReduction))"
                )
            }
            if c.insufficientData { print("\(c.variant): insufficient data: \(c.reason ?? "")") }
        }
        if let segments = report.segments, let by = segmentBy {
            print("\nby \(by):")
            print(
                Output.table(
                    header: ["segment", "variant", "units", "rate", "lift", "p", "p (Holm)", "SRM p"],
                    rows: segments.flatMap { s in
                        s.comparisons.map { c in
                            [
                                s.segment, c.variant, s.arms.map { "\($0.n)" }.joined(separator: "/"), Output.number(c.conversion.treatmentMean),
                                Output.number(c.conversion.upliftAbs), Output.pValue(c.conversion.pValue), Output.pValue(c.pValueHolm),
                                s.srm.map { Output.pValue($0.pValue) + ($0.detected ? " SRM!" : "") } ?? "—",
                            ]
                        }
                    }))
        }
        if let excluded = results.outcomesNotCounted, excluded.total > 0 {
            print(
                "outcomes not counted: \(excluded.total) (before assignment \(excluded.beforeAssignment), after window \(excluded.afterWindow), "
                    + "outside the dates \(excluded.outsideExperimentDates), unassigned profile \(excluded.unassignedProfile)"
                    + (results.analysisMode == .exposure ? ", not validly exposed \(excluded.notValidlyExposed))" : ")"))
        }
        if let srm = results.srm {
            print(
                srm.detected
                    ? "SAMPLE RATIO MISMATCH (p = \(Output.pValue(srm.pValue))): do not trust these results until the split is explained"
                    : "no sample ratio mismatch (p = \(Output.pValue(srm.pValue)))")
        }
    }
}
