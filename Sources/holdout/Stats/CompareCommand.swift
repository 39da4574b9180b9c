import ArgumentParser
import Foundation
import HoldoutStats

struct CompareCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Compare treatment with control from per-arm sufficient statistics (JSON on stdin).",
        discussion: """
            Reads one JSON object on standard input:

              {"metric": "proportion", "control": {"n": 200, "conversions": 8},
               "treatment": {"n": 800, "conversions": 45}, "alpha": 0.05, "method": "frequentist"}

            metric       proportion  arms {"n", "conversions"}
                         mean        arms {"n", "sum", "sum_squares"}
                         ratio       arms {"n", "sum_num", "sum_num_sq", "sum_den", "sum_den_sq", "sum_num_den"}
            method       frequentist (default), sequential (always-valid, safe to peek) or bayesian
            alternative  two-sided (default), greater or less (frequentist only)
            tuning       sequential tuning sample size (default 5000, as GrowthBook)
            prior        bayesian prior on the absolute lift {"mean", "sd"} (default flat)
            treatments   instead of "treatment": an array of arms, each compared with control, with
                         Holm and Benjamini–Hochberg adjusted p-values

            The interval fields hold the chosen method's interval. Example:
              echo '{"metric":"proportion","control":{"n":200,"conversions":8},"treatment":{"n":800,"conversions":45}}' \\
                | holdout stats compare --json
            """)

    @Flag(help: "Print one JSON object.")
    var json = false

    @Option(help: "Read the request from this file instead of standard input.")
    var input: String?

    /// Decodes the request through HoldoutStats' wire type, which validates it.
    static func parse(_ data: Data) throws(CLIError) -> Analysis.Request {
        do {
            return try JSONDecoder().decode(Analysis.Request.self, from: data)
        } catch let error as StatsError {
            throw CLIError(error)
        } catch let DecodingError.dataCorrupted(context) {
            throw CLIError("malformed JSON: \(context.underlyingError.map { "\($0)" } ?? context.debugDescription)")
        } catch {
            throw CLIError("malformed JSON: \(error)")
        }
    }

    struct MultiArmOutput: Encodable {
        var metric: String
        var method: String
        var alpha: Double
        var result: MultiArmComparison
    }

    func run() throws {
        let data: Data
        if let input {
            guard let contents = FileManager.default.contents(atPath: input) else {
                throw CLIError("--input: cannot read '\(input)'")
            }
            data = contents
        } else {
            data = FileHandle.standardInput.readDataToEndOfFile()
        }
        if data.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw CLIError("no input: pipe a JSON request into `holdout stats compare` (see --help)")
        }
        let request = try Self.parse(data)
        let settings = request.settings
        if settings.isCUPED {
            throw CLIError("cuped: `stats compare` does not print CUPED results; use `stats analyze --covariates`")
        }
        if settings.correction != .none {
            throw CLIError("correction: `stats compare` prints both Holm and Benjamini–Hochberg p-values; drop \"correction\"")
        }
        let result = try Analysis.compare(control: request.control, treatments: request.treatments, settings: settings)
        let comparisons = result.treatments.map(\.comparison)
        if !request.isMultiArm {
            if json { return try Output.json(comparisons[0]) }
            print(Self.render([("treatment", comparisons[0])], method: settings.method, alpha: settings.alpha))
            return
        }
        let multiArm = result.multiArm
        if json {
            return try Output.json(
                MultiArmOutput(metric: settings.metric.rawValue, method: settings.method.rawValue, alpha: settings.alpha, result: multiArm))
        }
        print(
            Self.render(
                comparisons.indices.map { ("treatments[\($0)]", comparisons[$0]) }, method: settings.method, alpha: settings.alpha))
        let adjusted = comparisons.indices.map {
            ["treatments[\($0)]", Output.pValue(comparisons[$0].pValue), Output.pValue(multiArm.holm[$0]), Output.pValue(multiArm.benjaminiHochberg[$0])]
        }
        print("")
        print(Output.table(header: ["arm", "p", "p (Holm)", "p (BH)"], rows: adjusted))
    }

    /// A human-readable table of comparisons.
    static func render(_ rows: [(String, Comparison)], method: Analysis.Settings.Method, alpha: Double) -> String {
        let level = Output.number((1 - alpha) * 100)
        let intervalName = method == .bayesian ? "\(level)% credible" : method == .sequential ? "\(level)% always-valid" : "\(level)% CI"
        var table = rows.map { name, c in
            [
                name, Output.number(c.controlMean), Output.number(c.treatmentMean), Output.number(c.upliftAbs),
                "[\(Output.number(c.ciLow)), \(Output.number(c.ciHigh))]", Output.percent(c.upliftRel),
                "[\(Output.percent(c.relCiLow)), \(Output.percent(c.relCiHigh))]",
                method == .bayesian ? Output.number(c.chanceToWin) : Output.pValue(c.pValue),
            ]
        }
        if table.isEmpty { table = [] }
        var text = Output.table(
            header: ["arm", "control", "treatment", "lift", intervalName, "rel. lift", "rel. interval", method == .bayesian ? "P(win)" : "p"],
            rows: table)
        for (name, c) in rows where c.insufficientData {
            text += "\n\(name): insufficient data: \(c.reason ?? "")"
        }
        return text
    }
}
