import ArgumentParser
import Foundation
import HoldoutCore
import HoldoutModel
import HoldoutStats

struct AnalyzeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "analyze",
        abstract: "Analyse a unit-level CSV: every arm against control, with CUPED when covariates are given.",
        discussion: """
            The file has a header and one row per unit. It is read once, in constant memory, so it can be \
            any size. The metric type is detected when omitted: proportion when every value is 0 or 1, mean \
            otherwise. With several treatment arms, p-values are also given Holm and Benjamini–Hochberg \
            adjusted.

            Examples:
              holdout stats analyze --csv units.csv --arm-column arm --control control --metric converted
              holdout stats analyze --csv units.csv --arm-column arm --control control --metric revenue \\
                  --covariates pre_revenue,pre_sessions --json
            """)

    @Option(help: "The unit-level CSV file.")
    var csv: String

    @Option(help: "The column holding each unit's arm.")
    var armColumn: String

    @Option(help: "The arm value that is control.")
    var control: String

    @Option(help: "The outcome column.")
    var metric: String

    @Option(help: "proportion or mean (detected when omitted).")
    var metricType: MetricTypeOption?

    enum MetricTypeOption: String, ExpressibleByArgument, CaseIterable {
        case proportion, mean
        var value: StreamingAnalysis.MetricType { self == .proportion ? .proportion : .mean }
    }

    @Option(help: "Pre-experiment covariate columns for CUPED, comma-separated.")
    var covariates: String?

    @Option(help: "Significance level α.")
    var alpha: Double = 0.05

    enum AlternativeOption: String, ExpressibleByArgument, CaseIterable {
        case twoSided = "two-sided", greater, less
        var value: Alternative { Alternative(rawValue: rawValue) ?? .twoSided }
    }

    @Option(help: "The alternative hypothesis: two-sided, greater (treatment > control) or less.")
    var alternative: AlternativeOption = .twoSided

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard alpha > 0, alpha < 1 else { throw ValidationError("--alpha must be in (0, 1), got \(alpha)") }
    }

    func configuration() -> StreamingAnalysis.Configuration {
        let names = covariates.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } } ?? []
        let showProgress = isatty(STDERR_FILENO) == 1
        return StreamingAnalysis.Configuration(
            path: csv, armColumn: armColumn, control: control, metric: metric, metricType: metricType?.value,
            covariates: names, options: TestOptions(alpha: alpha, alternative: alternative.value),
            progress: showProgress ? { rows in Output.error("\rread \(rows) rows…") } : nil)
    }

    func run() throws {
        let config = configuration()
        if let duplicate = Dictionary(grouping: config.covariates, by: { $0 }).first(where: { $0.value.count > 1 }) {
            throw CLIError("--covariates: '\(duplicate.key)' is listed twice")
        }
        if config.covariates.contains(metric) {
            throw CLIError("--covariates: the metric '\(metric)' cannot be its own covariate")
        }
        let report = try StreamingAnalysis.run(config)
        if config.progress != nil { Output.error("\r\u{1B}[K") }
        if json { return try Output.json(report) }
        print("\(report.rows) rows, metric '\(report.metric)' (\(report.metricType.rawValue)), control '\(report.control)'")
        print(Output.table(header: ["arm", "n", "mean"], rows: report.arms.map { [$0.arm, "\($0.n)", Output.number($0.mean)] }))
        print("")
        print(CompareCommand.render(report.comparisons.map { ($0.arm, $0.comparison) }, method: .frequentist, alpha: alpha))
        if report.comparisons.count > 1 {
            print("")
            print(
                Output.table(
                    header: ["arm", "p", "p (Holm)", "p (BH)"],
                    rows: report.comparisons.map {
                        [$0.arm, Output.pValue($0.comparison.pValue), Output.pValue($0.pValueHolm), Output.pValue($0.pValueBH)]
                    }))
        }
        let cupedRows = report.comparisons.compactMap { r -> [String]? in
            guard let c = r.cuped else { return nil }
            return [
                r.arm, Output.number(c.comparison.upliftAbs),
                "[\(Output.number(c.comparison.ciLow)), \(Output.number(c.comparison.ciHigh))]",
                Output.pValue(c.comparison.pValue), Output.percent(c.varianceReduction),
            ]
        }
        if !cupedRows.isEmpty {
            print("\nCUPED (covariates: \(report.covariates.joined(separator: ", ")))")
            print(Output.table(header: ["arm", "lift", "interval", "p", "variance reduction"], rows: cupedRows))
        }
    }
}
