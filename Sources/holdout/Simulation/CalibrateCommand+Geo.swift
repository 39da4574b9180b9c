import ArgumentParser
import Foundation
import HoldoutGeo
import HoldoutSimulation

/// `holdout calibrate` on simulated geo panels (HoldoutGeo's ``GeoCalibration``): chosen when
/// `--scenario` names a geo scenario, or with `--geo` for all of them.
extension CalibrateCommand {
    /// Whether this invocation calibrates geo analyses.
    var isGeo: Bool { geo || (scenario.map { GeoScenario.names.contains($0) } ?? false) }

    func validateGeo() throws {
        if geo && scenario != nil && !GeoScenario.names.contains(scenario!) {
            throw ValidationError("--geo runs geo scenarios; '\(scenario!)' is not one (\(GeoScenario.names.joined(separator: ", ")))")
        }
        if config != nil || all { throw ValidationError("geo scenarios are built in: drop --config/--all (use --geo for every geo scenario)") }
        if looks != nil { throw ValidationError("--looks applies to A/B scenarios; a geo analysis looks once, after the test") }
        if !(19...100_000).contains(permutations) {
            throw ValidationError("--permutations must be in 19…100,000, got \(permutations)")
        }
        if compareDesigns && scenario == nil { throw ValidationError("--compare-designs needs --scenario geo-… (e.g. geo-heterogeneous)") }
        _ = try Self.geoEstimators(estimator, scenario: nil)
    }

    /// The geo estimators named by `text` (`all`: those that apply to `scenario`).
    static func geoEstimators(_ text: String, scenario: GeoScenario?) throws -> [GeoEstimator] {
        if text == "all" { return GeoEstimator.allCases.filter { e in scenario.map { e.inapplicability(to: $0) == nil } ?? true } }
        var out: [GeoEstimator] = []
        for part in text.split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            guard let e = GeoEstimator(rawValue: part) else {
                throw ValidationError(
                    "--estimator: unknown geo estimator '\(part)' (known: \(GeoEstimator.allCases.map(\.rawValue).joined(separator: ", ")), all)")
            }
            if !out.contains(e) { out.append(e) }
        }
        guard !out.isEmpty else { throw ValidationError("--estimator: give at least one estimator") }
        return out
    }

    struct GeoReport: Encodable {
        var runs: Int
        var seed: UInt64
        var alpha: Double
        var permutations: Int
        var seconds: Double
        var scenarios: [GeoScenario]
        var rows: [GeoCalibration.Row]
    }

    struct DesignReport: Encodable {
        var runs: Int
        var seed: UInt64
        var alpha: Double
        var seconds: Double
        var scenario: GeoScenario
        var rows: [GeoCalibration.DesignRow]
    }

    func runGeo() throws {
        let clock = ContinuousClock()
        let start = clock.now
        let settings = GeoCalibration.Settings(runs: runs, seed: seed, alpha: alpha, permutations: permutations)
        let parallelism = threads ?? Simulator.defaultParallelism
        let showProgress = stderrIsTerminal && !json
        if compareDesigns, let name = scenario {
            let chosen = try GeoScenario.named(name)
            let progress = showProgress ? Self.progressPrinter(label: "\(name) designs", total: runs) : nil
            let rows = try GeoCalibration.compareDesigns(
                scenario: chosen, designs: [.weighted, .random, .stratified, .matchedPairs], settings: settings, parallelism: parallelism, progress: progress)
            if showProgress { Output.error("\r\u{1B}[K") }
            let report = DesignReport(runs: runs, seed: seed, alpha: alpha, seconds: seconds(clock.now - start), scenario: chosen, rows: rows)
            if json { return try Output.json(report) }
            if markdown { return print(Self.designMarkdown(report, command: CommandLine.arguments.dropFirst(2).joined(separator: " "))) }
            print(Self.designTable(rows))
            print(
                "\(runs) simulated panels shared by every design, seed \(seed); ± is one Monte-Carlo standard error (\(Output.number(report.seconds, digits: 3)) s)"
            )
            return
        }
        let scenarios = try scenario.map { [try GeoScenario.named($0)] } ?? GeoScenario.builtIn
        var rows: [GeoCalibration.Row] = []
        for (index, chosen) in scenarios.enumerated() {
            // With --geo, skip the estimators a scenario cannot run (as --all does for A/B).
            let estimators = try Self.geoEstimators(estimator, scenario: chosen).filter { scenario != nil || $0.inapplicability(to: chosen) == nil }
            if estimators.isEmpty { continue }
            let calibration = try GeoCalibration(scenario: chosen, estimators: estimators, settings: settings)
            let progress = showProgress ? Self.progressPrinter(label: "\(chosen.name) [\(index + 1)/\(scenarios.count)]", total: runs) : nil
            rows += try calibration.run(parallelism: parallelism, progress: progress)
        }
        if showProgress { Output.error("\r\u{1B}[K") }
        let report = GeoReport(
            runs: runs, seed: seed, alpha: alpha, permutations: permutations, seconds: seconds(clock.now - start), scenarios: scenarios, rows: rows)
        if json { return try Output.json(report) }
        if markdown { return print(Self.geoMarkdown(report, command: CommandLine.arguments.dropFirst(2).joined(separator: " "))) }
        print(Self.geoTable(rows))
        print(
            "\(runs) simulated geo experiments per row, seed \(seed), α = \(alpha), SCM with \(permutations) permutations; ± is one Monte-Carlo standard error (\(Output.number(report.seconds, digits: 3)) s)"
        )
    }

    static func rejection(_ r: GeoCalibration.Row) -> String {
        "\(pm(r.rejectionRate, r.rejectionSE, percent: true)) \(r.isNull ? "(type I)" : "(power)")"
    }

    static func geoTable(_ rows: [GeoCalibration.Row]) -> String {
        Output.table(
            header: ["scenario", "estimator", "target", "design", "analysed", "true effect", "coverage", "bias", "rmse", "rejection", "mean CI width"],
            rows: rows.map { r in
                [
                    r.scenario, r.estimator, r.metric, r.design, "\(r.analysed)/\(r.runs)", Output.number(r.trueEffect, digits: 4),
                    pm(r.coverage, r.coverageSE, percent: true), pm(r.bias, r.biasSE), pm(r.rmse, r.rmseSE), rejection(r),
                    Output.number(r.meanWidth, digits: 4),
                ]
            })
    }

    static func geoMarkdown(_ report: GeoReport, command: String) -> String {
        var lines = [
            "## Geo analyses on simulated panels",
            "",
            "Generated by `holdout calibrate \(command)` (\(report.runs) simulated geo experiments per row, seed \(report.seed), "
                + "α = \(report.alpha), two-sided \(Int((1 - report.alpha) * 100))% intervals, SCM with \(report.permutations) permutations); "
                + "append it with",
            "",
            "```sh",
            "swift build -c release && .build/release/holdout calibrate \(command) >> docs/calibration.md",
            "```",
            "",
            "Each run draws a panel from the scenario (HoldoutGeo's `GeoPanelGenerator`: log-normal geo sizes, weekly seasonality, "
                + "market-wide and geo-day noise, the scenario's design), injects a known effect in the treatment geos during the test, "
                + "and analyses it. The truth is exact: for **tbr**, **did** and **scm** the cumulative incremental response of the "
                + "treatment group over the test days, for **trimmed-match** the iROAS (incremental response per unit of spend). "
                + "`analysed` counts the runs where the analysis returned an interval (SCM's conformal interval can be unbounded, or "
                + "reject every effect near the estimate). ± is one Monte-Carlo standard error.",
            "",
            "Scenarios (`GeoScenario.builtIn`; 40 geos, median size 1,000 a day with log-sd 1, 56 pre days and 28 test days, weekly "
                + "seasonality ±15%, 5% market shock, 10% geo-day noise unless stated):",
            "",
        ]
        for s in report.scenarios { lines.append("- **\(s.name)** (design \(s.design.rawValue)): \(s.summary).") }
        lines += [
            "",
            "| scenario | estimator | target | analysed | true effect | coverage | bias | RMSE | rejection | mean CI width |",
            "|---|---|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in report.rows {
            lines.append(
                "| \(r.scenario) | \(r.estimator) | \(r.metric) | \(r.analysed)/\(r.runs) | \(Output.number(r.trueEffect, digits: 4)) | "
                    + "\(pm(r.coverage, r.coverageSE, percent: true)) | \(pm(r.bias, r.biasSE)) | \(pm(r.rmse, r.rmseSE)) | \(rejection(r)) | "
                    + "\(Output.number(r.meanWidth, digits: 4)) |")
        }
        lines += ["", "Total time: \(Output.number(report.seconds, digits: 3)) s on \(Simulator.defaultParallelism) cores."]
        return lines.joined(separator: "\n")
    }

    static func designTable(_ rows: [GeoCalibration.DesignRow]) -> String {
        Output.table(
            header: ["design", "control geos", "analysed", "true lift", "bias", "rmse", "MSE − weighted's", "coverage"],
            rows: rows.map { r in
                [
                    r.design, Output.number(r.controlGeos, digits: 3), "\(r.analysed)/\(r.runs)", Output.number(r.trueLift, digits: 4), pm(r.bias, r.biasSE),
                    pm(r.rmse, r.rmseSE), pm(r.mseDifference, r.mseDifferenceSE), pm(r.coverage, r.coverageSE, percent: true),
                ]
            })
    }

    static func designMarkdown(_ report: DesignReport, command: String) -> String {
        var lines = [
            "Generated by `holdout calibrate \(command)` (\(report.runs) simulated panels of scenario `\(report.scenario.name)`, "
                + "shared by every design; seed \(report.seed); TBR two-sided at \(Int((1 - report.alpha) * 100))%; "
                + "\(Output.number(report.seconds, digits: 3)) s):",
            "",
            "| design | control geos | analysed | true lift | bias | RMSE | MSE − weighted's (paired) | coverage |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in report.rows {
            lines.append(
                "| \(r.design) | \(Output.number(r.controlGeos, digits: 3)) | \(r.analysed)/\(r.runs) | \(Output.number(r.trueLift, digits: 4)) | "
                    + "\(pm(r.bias, r.biasSE)) | \(pm(r.rmse, r.rmseSE)) | \(pm(r.mseDifference, r.mseDifferenceSE)) | "
                    + "\(pm(r.coverage, r.coverageSE, percent: true)) |")
        }
        return lines.joined(separator: "\n")
    }
}
