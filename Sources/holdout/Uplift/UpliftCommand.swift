import ArgumentParser
import Foundation
import HoldoutCSV
import HoldoutUplift

struct UpliftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uplift",
        abstract: "Train, score and evaluate uplift models on a randomised experiment.",
        subcommands: [UpliftMetricsCommand.self, UpliftTrainCommand.self, UpliftScoreCommand.self, UpliftEvaluateCommand.self])
}

/// The metrics options of `holdout uplift metrics` and `holdout uplift evaluate`.
struct UpliftMetricsOptions: ParsableArguments {
    @Option(help: "Top of the ranking for uplift@k and the policy: a fraction in (0, 1), or a whole number of rows.")
    var k: Double = 0.3

    @Option(help: "Bins of the weighted average uplift.")
    var bins: Int = 10

    @Option(help: "Bootstrap replicates for intervals (stratified by arm); none when omitted.")
    var bootstrap: Int?

    @Option(help: "Seed of the bootstrap.")
    var seed: UInt64 = 1

    @Option(help: "Level of the bootstrap intervals.")
    var level: Double = 0.95

    func settings(scoreColumn: String, treatmentColumn: String, outcomeColumn: String) -> UpliftMetricsCommand.Settings {
        UpliftMetricsCommand.Settings(
            k: k, bins: bins, bootstrap: bootstrap, seed: seed, level: level, scoreColumn: scoreColumn, treatmentColumn: treatmentColumn,
            outcomeColumn: outcomeColumn)
    }
}

struct UpliftMetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "metrics",
        abstract: "Score an uplift model: Qini, AUUC, uplift@k, weighted average uplift, and targeting the top k.",
        discussion: """
            The CSV has a header and one row per unit: the model's predicted uplift (score), the unit's arm \
            (1/0 or true/false) and its outcome. Prints scikit-uplift 0.5.1's scores (uplift_auc_score and \
            qini_auc_score need a 0/1 outcome), causalml 0.18's normalised auuc_score and qini_score — a \
            different scale: compare a score only with scores of the same convention — and the simulated \
            policy of treating the top k by score against random targeting of the same number. A metric the \
            data cannot define (an arm missing from the top k, say) prints as null with the reason, never NaN. \
            See docs/uplift.md.

            Examples:
              holdout uplift metrics --csv scored.csv --score-column uplift --treatment-column treatment \\
                  --outcome-column conversion
              holdout uplift metrics --csv scored.csv --score-column uplift --treatment-column treatment \\
                  --outcome-column conversion --k 0.2 --bins 5 --bootstrap 500 --seed 7 --json
            """)

    @Option(help: "The scored CSV file.")
    var csv: String

    @Option(help: "The column holding each unit's predicted uplift.")
    var scoreColumn: String

    @Option(help: "The column holding each unit's arm: 1 or true for treated, 0 or false for control.")
    var treatmentColumn: String

    @Option(help: "The outcome column.")
    var outcomeColumn: String

    @OptionGroup var options: UpliftMetricsOptions

    @Flag(help: "Print one JSON object.")
    var json = false

    var settings: Settings {
        options.settings(scoreColumn: scoreColumn, treatmentColumn: treatmentColumn, outcomeColumn: outcomeColumn)
    }

    func run() throws {
        let (scores, treatment, outcomes) = try read()
        let report = try settings.report(scores: scores, treatment: treatment, outcomes: outcomes)
        if json { return try Output.json(report) }
        settings.print(report)
    }

    /// The metrics options, shared with `holdout uplift evaluate`: the report and its table.
    struct Settings {
        var k: Double
        var bins: Int
        var bootstrap: Int?
        var seed: UInt64
        var level: Double
        var scoreColumn: String
        var treatmentColumn: String
        var outcomeColumn: String

        var topK: UpliftMetrics.K {
            k >= 1 && k == k.rounded() && k < Double(Int.max) ? .count(Int(k)) : .fraction(k)
        }

        func report(scores: [Double], treatment: [Bool], outcomes: [Double]) throws(CLIError) -> UpliftMetrics.Report {
            try uplift { () throws(UpliftError) in
                let sample = try UpliftSample(scores: scores, treatment: treatment, outcomes: outcomes)
                return try UpliftMetrics.Report(
                    sample, k: topK, bins: bins, bootstrap: bootstrap.map { .init(replicates: $0, seed: seed, level: level) })
            }
        }

        func print(_ report: UpliftMetrics.Report) {
            Swift.print("\(report.n) rows (\(report.treated) treated, \(report.control) control), ranked by '\(scoreColumn)'")
            Swift.print("")
            let intervals = report.bootstrap
            func interval(_ i: UpliftMetrics.Interval?) -> String {
                i.map { "[\(Output.number($0.low)), \(Output.number($0.high))]" } ?? ""
            }
            var rows: [[String]] = [
                ["uplift_auc_score", Output.number(report.upliftAUCScore), interval(intervals?.upliftAUCScore), report.convention.rawValue],
                ["qini_auc_score", Output.number(report.qiniAUCScore), interval(intervals?.qiniAUCScore), report.convention.rawValue],
                ["qini_auc_score (no negative effect)", Output.number(report.qiniAUCScoreNoNegativeEffect), "", report.convention.rawValue],
                ["uplift_at_k overall (k = \(k))", Output.number(report.upliftAtK.overall), interval(intervals?.upliftAtKOverall), report.convention.rawValue],
                [
                    "uplift_at_k by_group (k = \(k))", Output.number(report.upliftAtK.byGroup), interval(intervals?.upliftAtKByGroup),
                    report.convention.rawValue,
                ],
                ["weighted_average_uplift overall (\(bins) bins)", Output.number(report.weightedAverageUplift.overall), "", report.convention.rawValue],
                ["weighted_average_uplift by_group (\(bins) bins)", Output.number(report.weightedAverageUplift.byGroup), "", report.convention.rawValue],
                ["auuc_score", Output.number(report.causalML.auucScore), interval(intervals?.causalMLAUUCScore), report.causalML.convention.rawValue],
                ["qini_score", Output.number(report.causalML.qiniScore), interval(intervals?.causalMLQiniScore), report.causalML.convention.rawValue],
            ]
            if intervals == nil { rows = rows.map { [$0[0], $0[1], $0[3]] } }
            let intervalHeader = intervals.map { "\(Output.number($0.level * 100))% interval" }
            Swift.print(Output.table(header: ["metric", "value"] + (intervalHeader.map { [$0] } ?? []) + ["convention"], rows: rows))
            if let policy = report.policy {
                Swift.print("")
                Swift.print("Targeting the top \(policy.targeted) of \(policy.population) units by score:")
                let policyIntervals = policy.intervals
                Swift.print(
                    Output.table(
                        header: ["", "per unit", "incremental outcome"] + (policyIntervals == nil ? [] : ["interval"]),
                        rows: [
                            ["by the model", Output.number(policy.targetedUplift), Output.number(policy.incrementalTargeted)]
                                + (policyIntervals == nil ? [] : [interval(policyIntervals?.incrementalTargeted)]),
                            ["at random", Output.number(policy.averageUplift), Output.number(policy.incrementalRandom)]
                                + (policyIntervals == nil ? [] : [""]),
                            ["gain over random", "", Output.number(policy.incrementalOverRandom)]
                                + (policyIntervals == nil ? [] : [interval(policyIntervals?.incrementalOverRandom)]),
                        ]))
                if let ratio = policy.relativeToRandom { Swift.print("\(Output.number(ratio, digits: 3))× the incremental outcome of random targeting") }
            }
            for undefined in report.undefined { Swift.print("\(undefined.metric): undefined — \(undefined.reason)") }
        }

        /// Runs an uplift call and maps its error to the CLI's, naming the option the field came from.
        func uplift<T>(_ body: () throws(UpliftError) -> T) throws(CLIError) -> T {
            do {
                return try body()
            } catch {
                let option: String? =
                    switch error.field {
                    case "scores": "--score-column '\(scoreColumn)'"
                    case "treatment": "--treatment-column '\(treatmentColumn)'"
                    case "outcomes": "--outcome-column '\(outcomeColumn)'"
                    case "k": "--k"
                    case "bins": "--bins"
                    case "replicates": "--bootstrap"
                    case "level": "--level"
                    default: nil
                    }
                throw CLIError(option.map { "\($0): \(error.message)" } ?? error.message)
            }
        }
    }

    /// Reads the three columns.
    func read() throws(CLIError) -> (scores: [Double], treatment: [Bool], outcomes: [Double]) {
        let scanner = CSVScanner(path: csv)
        var header = true
        var indices: [Int] = []
        var scores: [Double] = []
        var treatment: [Bool] = []
        var outcomes: [Double] = []
        let columns = [("--score-column", scoreColumn), ("--treatment-column", treatmentColumn), ("--outcome-column", outcomeColumn)]
        do {
            try scanner.forEachRecord { record in
                if header {
                    header = false
                    let names = (0..<record.count).map { record.trimmedString($0) }
                    for (option, column) in columns {
                        guard let i = names.firstIndex(of: column) else {
                            throw CLIError("\(option): column '\(column)' is not in the header of \(csv) (columns: \(names.joined(separator: ", ")))")
                        }
                        indices.append(i)
                    }
                    return
                }
                guard record.count > indices.max()! else {
                    throw CLIError("line \(record.line): expected at least \(indices.max()! + 1) columns, found \(record.count)")
                }
                guard let score = record.double(indices[0]) else { throw Self.badNumber(record, indices[0], scoreColumn) }
                guard let outcome = record.double(indices[2]) else { throw Self.badNumber(record, indices[2], outcomeColumn) }
                let arm: Bool
                switch record.trimmedString(indices[1]).lowercased() {
                case "1", "1.0", "true": arm = true
                case "0", "0.0", "false": arm = false
                case let other:
                    throw CLIError("line \(record.line), column '\(treatmentColumn)': '\(other)' is not 1/0 or true/false")
                }
                scores.append(score)
                treatment.append(arm)
                outcomes.append(outcome)
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
        if header { throw CLIError("\(csv) is empty: expected a header row") }
        return (scores, treatment, outcomes)
    }

    static func badNumber(_ record: CSVScanner.Record, _ index: Int, _ column: String) -> CLIError {
        let text = record.string(index)
        return CLIError("line \(record.line), column '\(column)': " + (text.isEmpty ? "empty value" : "'\(text)' is not a finite number"))
    }
}
