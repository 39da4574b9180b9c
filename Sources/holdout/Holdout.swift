import ArgumentParser
import Foundation

@main
struct Holdout: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holdout",
        abstract: "Holdout: experiments and incrementality, measured exactly.",
        discussion: """
            Plan an experiment with `holdout power`, compare arms from counts with `holdout stats compare`, \
            check the split with `holdout stats srm`, and analyse a unit-level CSV with `holdout stats analyze`. \
            Every command takes --json for scripting.
            """,
        subcommands: [PowerCommand.self, StatsCommand.self, BenchCommand.self])

    /// Parses and runs the command; an error prints as one line on standard error (the usage
    /// text stays behind `--help`), with ArgumentParser's exit codes.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help, --version
            let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            let hint = error is CLIError ? "" : " (see --help)"
            FileHandle.standardError.write(Data("Error: \(first)\(hint)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
