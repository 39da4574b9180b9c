import ArgumentParser
import Foundation
import HoldoutCSV
import HoldoutCore
import HoldoutUplift

/// Options shared by the commands that run a model on several threads.
func defaultThreads() -> Int { max(1, min(ProcessInfo.processInfo.activeProcessorCount, 64)) }

func monotonicSeconds() -> Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }

struct UpliftTrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Fit an uplift model (S, T, X-learner, class transformation, transformed outcome) and write it as a model file.",
        discussion: """
            The CSV has a header and one row per unit of a randomised experiment: the feature columns, the arm \
            (1/0 or true/false) and the outcome (0/1; any number for transformed-outcome). The base learner is \
            histogram gradient-boosted trees (gbdt: --trees, --depth, --learning-rate, --min-leaf, --l2) or \
            L2-penalised logistic regression (logistic: --l2 is λ = 1/C, default 1; the X-learner's effect models \
            and the transformed outcome use ridge regression with the same λ). Class transformation is corrected \
            for an unequal treated share. The model file is versioned JSON; `holdout uplift score` and \
            `holdout uplift evaluate` read it. See docs/uplift-learners.md.

            Examples:
              holdout uplift train --csv train.csv --treatment-column treatment --outcome-column conversion \\
                  --features f0,f1,f2,f3,f4,f5,f6,f7,f8,f9,f10,f11 --learner s --base gbdt --model-out s.json
              holdout uplift train --csv train.csv --treatment-column treatment --outcome-column visit \\
                  --features f0,f1,f2 --learner x --base logistic --l2 0.5 --propensity 0.85 --model-out x.json --json
            """)

    @Option(help: "The training CSV file.")
    var csv: String

    @Option(help: "The column holding each unit's arm: 1 or true for treated, 0 or false for control.")
    var treatmentColumn: String

    @Option(help: "The outcome column (0/1, or any number for transformed-outcome).")
    var outcomeColumn: String

    @Option(help: ArgumentHelp("The feature columns, separated by commas.", valueName: "f0,f1,…"))
    var features: String

    @Option(help: ArgumentHelp("s, t, x, class-transformation or transformed-outcome.", valueName: "learner"))
    var learner: String

    @Option(help: ArgumentHelp("gbdt or logistic.", valueName: "base"))
    var base: String

    @Option(help: "Boosting rounds (gbdt).")
    var trees: Int = 100

    @Option(help: "Deepest leaf of a tree, the root at depth 0 (gbdt).")
    var depth: Int = 6

    @Option(help: "Shrinkage of every tree (gbdt).")
    var learningRate: Double = 0.1

    @Option(help: "Fewest rows in a leaf (gbdt).")
    var minLeaf: Int = 20

    @Option(help: "L2 penalty: on leaf values for gbdt (default 0), λ = 1/C for logistic and ridge (default 1).")
    var l2: Double?

    @Option(help: "Seed of the binning subsample (gbdt).")
    var seed: UInt64 = 1

    @Option(help: "P(treated) for the X-learner and the transformed outcome; default: the treated share of the rows.")
    var propensity: Double?

    @Option(help: "Threads for fitting (the model does not depend on it).")
    var threads: Int = defaultThreads()

    @Option(help: "Where to write the model file (JSON).")
    var modelOut: String

    @Flag(help: "Print one JSON object (no progress lines).")
    var json = false

    struct Summary: Encodable {
        let model: String
        let learner: String
        let rows: Int
        let treated: Int
        let control: Int
        let features: [String]
        let seconds: Double
        let bytes: Int
    }

    func validate() throws {
        guard UpliftLearnerKind(rawValue: learner) != nil else {
            throw ValidationError("--learner must be one of \(UpliftLearnerKind.allCases.map(\.rawValue).joined(separator: ", ")); got '\(learner)'")
        }
        guard UpliftBaseKind(rawValue: base) != nil else { throw ValidationError("--base must be gbdt or logistic; got '\(base)'") }
        guard (1...10_000).contains(trees) else { throw ValidationError("--trees must be in 1…10000") }
        guard (1...30).contains(depth) else { throw ValidationError("--depth must be in 1…30") }
        guard learningRate > 0, learningRate.isFinite else { throw ValidationError("--learning-rate must be positive") }
        guard minLeaf >= 1 else { throw ValidationError("--min-leaf must be at least 1") }
        if let l2 { guard l2 >= 0, l2.isFinite else { throw ValidationError("--l2 must be finite and non-negative") } }
        if let propensity {
            guard propensity > 0, propensity < 1 else { throw ValidationError("--propensity must be in (0, 1)") }
            guard learner == "x" || learner == "transformed-outcome" else {
                throw ValidationError("--propensity is used by the x and transformed-outcome learners only")
            }
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1…256") }
    }

    func run() throws {
        let kind = UpliftLearnerKind(rawValue: learner)!
        let baseKind = UpliftBaseKind(rawValue: base)!
        let names = try UpliftData.featureList(features)
        for (option, column) in [("--treatment-column", treatmentColumn), ("--outcome-column", outcomeColumn)] where names.contains(column) {
            throw CLIError("\(option): '\(column)' is also listed in --features")
        }
        let start = monotonicSeconds()
        func progress(_ text: String) {
            if !json { Output.error(String(format: "[%6.1f s] ", monotonicSeconds() - start) + text + "\n") }
        }
        progress("reading \(csv)…")
        let rows = try UpliftData.read(
            path: csv, features: names, treatment: ("--treatment-column", treatmentColumn), outcome: ("--outcome-column", outcomeColumn),
            binaryOutcome: kind.needsBinaryOutcome ? "the \(learner) learner needs a binary outcome; transformed-outcome takes any number" : nil)
        let treated = rows.treatment.count { $0 }
        progress("\(rows.features.rowCount) rows (\(treated) treated), \(names.count) features; fitting the \(learner) learner on \(base)…")
        let settings = GradientBoosting.Settings(
            iterations: trees, learningRate: learningRate, maxDepth: depth, minSamplesLeaf: minLeaf, l2: l2 ?? 0, seed: seed, threads: threads)
        let model: AnyUpliftModel
        do {
            let data = try UpliftTrainingData(features: rows.features, treatment: rows.treatment, outcome: rows.outcome)
            model = try AnyUpliftModel.fit(kind, base: baseKind, trees: settings, lambda: l2, propensity: propensity, data: data)
        } catch {
            throw CLIError(Self.option(for: error) + error.message)
        }
        let data = try model.encoded()
        do {
            try data.write(to: URL(fileURLWithPath: modelOut), options: .atomic)
        } catch {
            throw CLIError("--model-out: cannot write \(modelOut): \(error.localizedDescription)")
        }
        let seconds = monotonicSeconds() - start
        progress("wrote \(modelOut) (\(data.count) bytes)")
        let summary = Summary(
            model: modelOut, learner: model.learner, rows: rows.features.rowCount, treated: treated, control: rows.features.rowCount - treated,
            features: names, seconds: seconds, bytes: data.count)
        if json { return try Output.json(summary) }
        print("Fitted \(model.learner) on \(summary.rows) rows (\(treated) treated, \(summary.control) control) in \(Output.number(seconds, digits: 3)) s")
        print("Model: \(modelOut)")
    }

    /// The option a learner error's field came from, as a prefix.
    static func option(for error: LearnerError) -> String {
        switch error.field {
        case "treatment": "--treatment-column: "
        case "outcome", "targets", "labels": "--outcome-column: "
        case "propensity": "--propensity: "
        case "lambda": "--l2: "
        case let field?: "\(field): "
        case nil: ""
        }
    }
}

struct UpliftScoreCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Score a CSV with an uplift model file: the input's rows plus an uplift column.",
        discussion: """
            Reads the model file written by `holdout uplift train`, checks that every feature it was fitted on \
            is a column of the CSV, and writes the CSV's rows (fields as they were, quoted where they were) with \
            one more column, `uplift`, the predicted uplift in shortest round-trip form. The CSV is streamed in \
            blocks of 65,536 rows, so memory does not grow with the file; the output is written to a temporary \
            file beside --out and renamed when complete.

            Examples:
              holdout uplift score --csv test.csv --model s.json --out scores.csv
              holdout uplift score --csv test.csv --model s.json --out scores.csv --threads 2 --json
            """)

    @Option(help: "The CSV to score.")
    var csv: String

    @Option(help: "The model file.")
    var model: String

    @Option(help: "Where to write the scored CSV.")
    var out: String

    @Option(help: "Threads for scoring (the scores do not depend on it).")
    var threads: Int = defaultThreads()

    @Flag(help: "Print one JSON object.")
    var json = false

    static let blockRows = 65_536

    struct Summary: Encodable {
        let out: String
        let learner: String
        let rows: Int
        let seconds: Double
    }

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1…256") }
    }

    func run() throws {
        let start = monotonicSeconds()
        let loaded = try AnyUpliftModel.load(path: model)
        let names = loaded.featureNames
        let temporary = out + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
        guard FileManager.default.createFile(atPath: temporary, contents: nil), let handle = FileHandle(forWritingAtPath: temporary) else {
            throw CLIError("--out: cannot create \(out)")
        }
        var completed = false
        defer {
            try? handle.close()
            if !completed { try? FileManager.default.removeItem(atPath: temporary) }
        }
        var header = true
        var indices: [Int] = []
        var columns = [Double](repeating: 0, count: names.count * Self.blockRows)
        var pending = 0
        var lines: [UInt8] = []  // the pending rows' bytes, each ending with a comma
        var lineEnds: [Int] = []
        var output: [UInt8] = []
        var total = 0
        func flush() throws(CLIError) {
            guard pending > 0 else { return }
            var values = [Double](repeating: 0, count: names.count * pending)
            for j in names.indices {
                for i in 0..<pending { values[j * pending + i] = columns[j * Self.blockRows + i] }
            }
            let scores: [Double]
            do {
                scores = try loaded.uplift(FeatureMatrix(names: names, columnMajor: values, rowCount: pending), threads: threads)
            } catch {
                throw CLIError(error.message)
            }
            output.removeAll(keepingCapacity: true)
            var lineStart = 0
            for i in 0..<pending {
                output += lines[lineStart..<lineEnds[i]]
                output += Array("\(scores[i])\n".utf8)
                lineStart = lineEnds[i]
            }
            do {
                try handle.write(contentsOf: output)
            } catch {
                throw CLIError("--out: cannot write \(out): \(error.localizedDescription)")
            }
            total += pending
            pending = 0
            lines.removeAll(keepingCapacity: true)
            lineEnds.removeAll(keepingCapacity: true)
        }
        do {
            try CSVScanner(path: csv).forEachRecord { record in
                if header {
                    header = false
                    let columnNames = (0..<record.count).map { record.trimmedString($0) }
                    if columnNames.contains("uplift") { throw CLIError("\(csv) already has a column 'uplift'; rename it before scoring") }
                    indices = try UpliftData.indices(of: names.map { ("model feature", $0) }, in: columnNames, path: csv)
                    Self.appendFields(record, to: &output)
                    output += Array("uplift\n".utf8)
                    try handle.write(contentsOf: output)
                    return
                }
                guard record.count > (indices.max() ?? 0) else {
                    throw CLIError("line \(record.line): expected at least \((indices.max() ?? 0) + 1) columns, found \(record.count)")
                }
                for j in names.indices { columns[j * Self.blockRows + pending] = try UpliftData.number(record, indices[j], column: names[j]) }
                Self.appendFields(record, to: &lines)
                lineEnds.append(lines.count)
                pending += 1
                if pending == Self.blockRows { try flush() }
            }
            try flush()
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("\(error)")
        }
        if header { throw CLIError("\(csv) is empty: expected a header row") }
        try? handle.close()
        do {
            if FileManager.default.fileExists(atPath: out) { try FileManager.default.removeItem(atPath: out) }
            try FileManager.default.moveItem(atPath: temporary, toPath: out)
        } catch {
            throw CLIError("--out: cannot write \(out): \(error.localizedDescription)")
        }
        completed = true
        let summary = Summary(out: out, learner: loaded.learner, rows: total, seconds: monotonicSeconds() - start)
        if json { return try Output.json(summary) }
        print("Scored \(total) rows with \(loaded.learner) in \(Output.number(summary.seconds, digits: 3)) s: \(out)")
    }

    /// The record's fields as they were read (a quoted field stays quoted, its `""` kept), each
    /// followed by a comma.
    static func appendFields(_ record: CSVScanner.Record, to out: inout [UInt8]) {
        for i in 0..<record.count {
            if record.quoted[i] { out.append(UInt8(ascii: "\"")) }
            out += record.bytes(i)
            if record.quoted[i] { out.append(UInt8(ascii: "\"")) }
            out.append(UInt8(ascii: ","))
        }
    }
}

struct UpliftEvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Score a CSV with an uplift model file and print the metrics of `holdout uplift metrics` on those scores.",
        discussion: """
            Equivalent to `holdout uplift score` followed by `holdout uplift metrics --score-column uplift` on its \
            output, without the intermediate file: the same metrics object (scikit-uplift 0.5.1 and causalml 0.18 \
            conventions, uplift@k, weighted average uplift, the top-k policy, bootstrap intervals with \
            --bootstrap). Evaluate on rows the model was not trained on.

            Examples:
              holdout uplift evaluate --csv test.csv --model s.json --treatment-column treatment --outcome-column conversion
              holdout uplift evaluate --csv test.csv --model s.json --treatment-column treatment --outcome-column conversion \\
                  --k 0.3 --bins 10 --bootstrap 500 --seed 7 --json
            """)

    @Option(help: "The CSV with the model's features, the arm and the outcome.")
    var csv: String

    @Option(help: "The model file.")
    var model: String

    @Option(help: "The column holding each unit's arm: 1 or true for treated, 0 or false for control.")
    var treatmentColumn: String

    @Option(help: "The outcome column.")
    var outcomeColumn: String

    @OptionGroup var options: UpliftMetricsOptions

    @Option(help: "Threads for scoring (the scores do not depend on it).")
    var threads: Int = defaultThreads()

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be in 1…256") }
    }

    func run() throws {
        let loaded = try AnyUpliftModel.load(path: model)
        let rows = try UpliftData.read(
            path: csv, features: loaded.featureNames, treatment: ("--treatment-column", treatmentColumn),
            outcome: ("--outcome-column", outcomeColumn), binaryOutcome: nil)
        let scores: [Double]
        do {
            scores = try loaded.uplift(rows.features, threads: threads)
        } catch {
            throw CLIError(error.message)
        }
        let metrics = options.settings(scoreColumn: "uplift (\(loaded.learner))", treatmentColumn: treatmentColumn, outcomeColumn: outcomeColumn)
        let report = try metrics.report(scores: scores, treatment: rows.treatment, outcomes: rows.outcome)
        if json { return try Output.json(report) }
        metrics.print(report)
    }
}
