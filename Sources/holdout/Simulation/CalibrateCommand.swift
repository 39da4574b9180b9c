import ArgumentParser
import Foundation
import HoldoutGeo
import HoldoutSimulation

struct CalibrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "calibrate",
        abstract: "Check that an estimator is honest: coverage, bias, RMSE and rejection rate on simulated experiments.",
        discussion: """
            Simulates --runs experiments of --n-per-run visitors from a scenario whose true effect is known \
            for every visitor, analyses each with the estimator, and reports with Monte-Carlo standard errors:
              coverage   how often the (1 − alpha) interval holds the run's true effect
              bias       mean(estimate − truth)
              rmse       √mean((estimate − truth)²)
              rejection  how often the test rejects: Type I error on `null`, else power
            With --looks L each run is analysed at L evenly spaced interim points and counts as a rejection \
            when any look rejects — what checking a dashboard daily does. Fixed-horizon tests (ztest, welch) \
            then reject far more often than alpha on `null`; the sequential test stays below alpha.

            Estimators (HoldoutStats): ztest (two proportions, conversion metrics), welch (Welch t), cuped \
            (regression adjustment on the scenario's covariates), sequential (always-valid confidence \
            sequence, tuning 5,000), bayesian (flat-prior posterior; rejects when the credible interval \
            excludes 0). Give several with commas, or `all`.

            Geo scenarios (\(GeoScenario.names.joined(separator: ", "))) calibrate the geo analyses instead: \
            tbr, did and scm against the cumulative incremental response, trimmed-match against the iROAS \
            (geo-spend), on panels from HoldoutGeo's generator; --geo runs every geo scenario, and \
            --compare-designs compares TBR's lift RMSE under the weighted, random, stratified and \
            matched-pairs designs on the same panels (docs/geo.md).

            Examples:
              holdout calibrate --scenario null --estimator ztest --runs 1000 --seed 7
              holdout calibrate --scenario null --estimator ztest,sequential --looks 20
              holdout calibrate --scenario criteo-like --estimator all --runs 500 --json
              holdout calibrate --all --runs 2000 --markdown > docs/calibration.md
              holdout calibrate --scenario geo-basic --estimator tbr --runs 500 --seed 3
              holdout calibrate --geo --runs 1000 --markdown >> docs/calibration.md
              holdout calibrate --scenario geo-heterogeneous --compare-designs --runs 2000
            """)

    @Option(help: ArgumentHelp("A built-in scenario (see `holdout simulate --list-scenarios`).", valueName: "name"))
    var scenario: String?

    @Option(help: ArgumentHelp("A YAML simulation config instead of a scenario.", valueName: "file.yaml"))
    var config: String?

    @Flag(help: "Every built-in scenario × every estimator that applies, at 1 look and at --looks (default 20).")
    var all = false

    @Option(
        help: ArgumentHelp("ztest, welch, cuped, sequential, bayesian (geo: tbr, did, scm, trimmed-match), several with commas, or all.", valueName: "list"))
    var estimator = "all"

    @Option(help: "Simulated experiments.")
    var runs = 1000

    @Option(name: .customLong("n-per-run"), help: "Visitors per experiment.")
    var nPerRun = 20_000

    @Option(help: "Seed of the first run (run r uses a seed derived from it and r).")
    var seed: UInt64 = 1

    @Option(help: "Analyses per run at evenly spaced interim points; a run rejects when any look does.")
    var looks: Int?

    @Option(help: "Significance level (the intervals are 1 − alpha).")
    var alpha = 0.05

    @Option(help: "Worker threads (default: the number of cores).")
    var threads: Int?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(help: "Print a Markdown document (what docs/calibration.md holds).")
    var markdown = false

    @Flag(help: "Every geo scenario × every geo estimator that applies.")
    var geo = false

    @Option(help: "Geo: SCM's conformal permutations per run.")
    var permutations = 199

    @Flag(help: "Geo: TBR's lift RMSE under each design on the same simulated panels (with --scenario geo-…).")
    var compareDesigns = false

    func validate() throws {
        if isGeo {
            try validateGeo()
            if runs < 2 { throw ValidationError("--runs must be at least 2 (for a Monte-Carlo standard error), got \(runs)") }
            if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be in (0, 1), got \(alpha)") }
            if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1…256, got \(threads)") }
            if json && markdown { throw ValidationError("--json and --markdown are alternatives; give one") }
            return
        }
        if compareDesigns { throw ValidationError("--compare-designs applies to geo scenarios (\(GeoScenario.names.joined(separator: ", ")))") }
        if all && (scenario != nil || config != nil) { throw ValidationError("--all runs every built-in scenario; drop --scenario/--config") }
        if !all && scenario == nil && config == nil {
            throw ValidationError(
                "choose --scenario NAME (\((Scenario.names + GeoScenario.names).joined(separator: ", "))), --config FILE.yaml, --all or --geo")
        }
        if scenario != nil && config != nil { throw ValidationError("--scenario and --config are alternatives; give one") }
        if runs < 2 { throw ValidationError("--runs must be at least 2 (for a Monte-Carlo standard error), got \(runs)") }
        if nPerRun < 4 { throw ValidationError("--n-per-run must be at least 4, got \(nPerRun)") }
        if let looks, looks < 1 || looks > nPerRun { throw ValidationError("--looks must be in 1…--n-per-run, got \(looks)") }
        if !(alpha > 0 && alpha < 1) { throw ValidationError("--alpha must be in (0, 1), got \(alpha)") }
        if let threads, threads < 1 || threads > 256 { throw ValidationError("--threads must be in 1…256, got \(threads)") }
        if json && markdown { throw ValidationError("--json and --markdown are alternatives; give one") }
        _ = try Self.estimators(estimator)
    }

    static func estimators(_ text: String) throws -> [Estimator] {
        if text == "all" { return Estimator.allCases }
        var out: [Estimator] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let e = Estimator(rawValue: part) else {
                throw ValidationError("--estimator: unknown estimator '\(part)' (known: \(Estimator.allCases.map(\.rawValue).joined(separator: ", ")), all)")
            }
            if !out.contains(e) { out.append(e) }
        }
        guard !out.isEmpty else { throw ValidationError("--estimator: give at least one estimator") }
        return out
    }

    struct Report: Encodable {
        var runs: Int
        var n_per_run: Int
        var seed: UInt64
        var alpha: Double
        var seconds: Double
        var rows: [Calibration.Row]
    }

    func run() async throws {
        if isGeo { return try runGeo() }
        let requested = try Self.estimators(estimator)
        var jobs: [(SimulationConfig, [Estimator], Int)] = []
        if all {
            let peek = (looks ?? 20) > 1 ? (looks ?? 20) : 20
            for lookCount in [1, peek] {
                for name in Scenario.names {
                    let c = try Scenario.config(name)
                    let applicable = requested.filter { $0.applies(to: c.mode.metric) && ($0 != .cuped || !c.covariates.isEmpty) }
                    if !applicable.isEmpty { jobs.append((c, applicable, lookCount)) }
                }
            }
        } else {
            let loaded = try ScenarioSource(config: config, scenario: scenario).load().config
            let applicable = estimator == "all" ? requested.filter { $0.applies(to: loaded.mode.metric) } : requested
            jobs.append((loaded, applicable, looks ?? 1))
        }
        let clock = ContinuousClock()
        let start = clock.now
        var rows: [Calibration.Row] = []
        let showProgress = stderrIsTerminal && !json
        for (index, job) in jobs.enumerated() {
            let settings = Calibration.Settings(runs: runs, visitorsPerRun: nPerRun, seed: seed, looks: job.2, alpha: alpha)
            let calibration = try Calibration(config: job.0, estimators: job.1, settings: settings)
            let label = "\(job.0.name)\(job.2 > 1 ? " (\(job.2) looks)" : "") [\(index + 1)/\(jobs.count)]"
            let total = runs
            let progress = showProgress ? Self.progressPrinter(label: label, total: total) : nil
            let parallelism = threads ?? Simulator.defaultParallelism
            let result: [Calibration.Row] = try calibration.run(parallelism: parallelism, progress: progress)
            rows += result
        }
        if showProgress { Output.error("\r\u{1B}[K") }
        let report = Report(runs: runs, n_per_run: nPerRun, seed: seed, alpha: alpha, seconds: seconds(clock.now - start), rows: rows)
        if json { return try Output.json(report) }
        if markdown { return print(Self.markdown(report, command: CommandLine.arguments.dropFirst(2).joined(separator: " "))) }
        print(Self.table(rows))
        print(
            "\(runs) runs × \(nPerRun) visitors per row, seed \(seed), α = \(alpha); ± is one Monte-Carlo standard error (\(Output.number(report.seconds, digits: 3)) s)"
        )
    }

    static func progressPrinter(label: String, total: Int) -> @Sendable (Int) -> Void {
        return { (done: Int) -> Void in
            if done % 10 == 0 || done == total {
                Output.error("\rcalibrating " + label + ": \(done)/\(total) runs…\u{1B}[K")
            }
        }
    }

    static func pm(_ value: Double, _ se: Double, percent: Bool = false) -> String {
        percent
            ? String(format: "%.1f%% ± %.1f", value * 100, se * 100)
            : "\(Output.number(value, digits: 3)) ± \(Output.number(se, digits: 2))"
    }

    static func table(_ rows: [Calibration.Row]) -> String {
        Output.table(
            header: ["scenario", "estimator", "contrast", "looks", "true effect", "coverage", "bias", "rmse", "rejection", "mean CI width"],
            rows: rows.map { r in
                [
                    r.scenario, r.estimator, r.contrast, "\(r.looks)", Output.number(r.trueEffect, digits: 4), pm(r.coverage, r.coverageSE, percent: true),
                    pm(r.bias, r.biasSE), pm(r.rmse, r.rmseSE),
                    "\(pm(r.rejectionRate, r.rejectionSE, percent: true)) \(r.isNull ? "(type I)" : "(power)")", Output.number(r.meanWidth, digits: 4),
                ]
            })
    }

    static func markdown(_ report: Report, command: String) -> String {
        var lines = [
            "# Calibration of Holdout's estimators",
            "",
            "Generated by `holdout calibrate \(command)` (\(report.runs) simulated experiments of \(report.n_per_run) visitors per row, "
                + "seed \(report.seed), α = \(report.alpha)); regenerate with",
            "",
            "```sh",
            "swift build -c release && .build/release/holdout calibrate \(command) > docs/calibration.md",
            "```",
            "",
            "Each run simulates a fresh experiment from the scenario (`holdout simulate --scenario NAME --print-config` shows it), "
                + "analyses it, and compares with the run's **true population effect** — the mean of every visitor's CATE, known "
                + "because the simulator draws potential outcomes. ± is one Monte-Carlo standard error. Coverage should be within "
                + "about 3 standard errors of \(Int((1 - report.alpha) * 100))%; on `null` the rejection rate is the Type I error "
                + "and should be at most α; elsewhere it is the power.",
            "",
            "- **ztest**: two-proportion z-test (pooled p-value, Wald interval); conversion metrics only.",
            "- **welch**: Welch's t-test on the per-visitor metric.",
            "- **cuped**: regression adjustment on the scenario's covariates (pre-treatment features).",
            "- **sequential**: always-valid confidence sequence (τ = 5,000); its intervals are wider by design, so coverage "
                + "above nominal is expected.",
            "- **bayesian**: flat-prior normal posterior; \"rejects\" when the credible interval excludes 0.",
            "",
        ]
        let byLooks = Dictionary(grouping: report.rows, by: \.looks)
        for looks in byLooks.keys.sorted() {
            let rows = byLooks[looks]!
            lines.append(looks == 1 ? "## Fixed horizon (one analysis per experiment)" : "## Peeking: \(looks) looks per experiment")
            lines.append("")
            if looks > 1 {
                lines.append(
                    "Each experiment is analysed after every 1/\(looks) of its visitors and counts as a rejection when any look "
                        + "rejects. Coverage, bias and RMSE are those of the final look. On `null`, the fixed-horizon tests' Type I "
                        + "error grows far beyond α; the sequential test's stays below it.")
                lines.append("")
            }
            lines.append("| scenario | estimator | contrast | true effect | coverage | bias | RMSE | rejection | mean CI width |")
            lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
            for r in rows {
                lines.append(
                    "| \(r.scenario) | \(r.estimator) | \(r.contrast) | \(Output.number(r.trueEffect, digits: 4)) | "
                        + "\(pm(r.coverage, r.coverageSE, percent: true)) | \(pm(r.bias, r.biasSE)) | \(pm(r.rmse, r.rmseSE)) | "
                        + "\(pm(r.rejectionRate, r.rejectionSE, percent: true)) \(r.isNull ? "(type I)" : "(power)") | \(Output.number(r.meanWidth, digits: 4)) |"
                )
            }
            lines.append("")
        }
        lines.append("Total time: \(Output.number(report.seconds, digits: 3)) s on \(Simulator.defaultParallelism) cores.")
        return lines.joined(separator: "\n")
    }
}
