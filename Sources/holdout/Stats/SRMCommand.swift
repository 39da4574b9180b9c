import ArgumentParser
import Foundation
import HoldoutStats

struct SRMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "srm",
        abstract: "Check for a sample ratio mismatch: are the arms the sizes the design planned?",
        discussion: """
            A chi-squared goodness-of-fit test of the units per arm against the planned weights. A p-value \
            below the threshold (default 0.001) means assignment or logging is broken: do not trust the \
            experiment's results until you know why.

            Examples:
              holdout stats srm --observed 5000,5210 --weights 0.5,0.5
              holdout stats srm --observed 8123,1877 --weights 0.8,0.2 --json
            """)

    @Option(help: "Units observed per arm, comma-separated (control first).")
    var observed: String

    @Option(help: "Planned share per arm, comma-separated, summing to 1. Default: equal shares.")
    var weights: String?

    @Option(help: "Flag an SRM when p is below this.")
    var threshold: Double = SampleRatioMismatch.defaultThreshold

    @Flag(help: "Print one JSON object.")
    var json = false

    static func parseList<T>(_ text: String, option: String, as parse: (String) -> T?) throws(CLIError) -> [T] {
        var out: [T] = []
        for (index, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let value = parse(trimmed) else {
                throw CLIError("--\(option): item \(index + 1) ('\(trimmed)') is not a valid number")
            }
            out.append(value)
        }
        return out
    }

    func run() throws {
        let counts: [Int] = try Self.parseList(observed, option: "observed") { Int($0) }
        let shares: [Double] =
            try weights.map { text throws(CLIError) in try Self.parseList(text, option: "weights") { Double($0) } }
            ?? Array(repeating: 1 / Double(counts.count), count: counts.count)
        let result = try SampleRatioMismatch(observed: counts, weights: shares, threshold: threshold)
        if json { return try Output.json(result) }
        print(
            Output.table(
                header: ["arm", "observed", "expected", "weight"],
                rows: counts.indices.map {
                    ["\($0 == 0 ? "control" : "arm \($0)")", "\(counts[$0])", Output.number(result.expected[$0]), Output.number(shares[$0])]
                }))
        print("chi2 = \(Output.number(result.chi2)), df = \(result.degreesOfFreedom), p = \(Output.pValue(result.pValue))")
        print(
            result.isDetected
                ? "SRM DETECTED (p < \(threshold)): the split does not match the design; investigate before reading results."
                : "no SRM (p ≥ \(threshold))")
    }
}
