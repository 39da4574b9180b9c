import ArgumentParser
import Foundation

@main
struct Holdout: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "holdout",
        abstract: "Holdout: experiments and incrementality, measured exactly.",
        discussion: """
            Plan an experiment with `holdout power`; create it with `holdout experiment create`; assign \
            profiles with `holdout assign`; load exposures and outcomes with `holdout import`; check the data \
            with `holdout check` and `holdout quality`; read `holdout results`. Compare arms from counts with \
            `holdout stats compare` and analyse a unit-level CSV with `holdout stats analyze`. Serve the same \
            over HTTP with `holdout serve` (keys from `holdout keys create`) and run the nightly report with \
            `holdout report nightly`. Simulate experiments whose true effect is known with `holdout simulate` \
            and check every estimator against the truth with `holdout calibrate`. Score an uplift model on \
            an experiment with `holdout uplift metrics`; fit, apply and evaluate uplift models with \
            `holdout uplift train`, `score` and `evaluate`. Check a query over the semantic views with \
            `holdout sql check`. Data lives in \
            ./holdout.sqlite unless --database (or HOLDOUT_DATABASE_URL) names another SQLite file or a \
            postgres:// URL. Every command takes --json for scripting.
            """,
        subcommands: [
            PowerCommand.self, StatsCommand.self, ExperimentCommand.self, AssignCommand.self, AssignmentCommand.self,
            ImportCommand.self, CheckCommand.self, QualityCommand.self, ResultsCommand.self, DatabaseCommand.self,
            ServeCommand.self, KeysCommand.self, WebhooksCommand.self, ReportCommand.self, BenchCommand.self, SimulateCommand.self,
            CalibrateCommand.self, UpliftCommand.self, SQLCommand.self, GeoCommand.self, AnalyzeExperimentCommand.self, AssetsCommand.self,
        ])

    /// Parses and runs the command; an error prints as one line on standard error (the usage
    /// text stays behind `--help`), with ArgumentParser's exit codes.
    static func main() async {
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch let exit as ExitCode {
            Foundation.exit(exit.rawValue)
        } catch {
            if let mapped = CLIError.mapping(error) {
                let first = mapped.message.split(separator: "\n").first.map(String.init) ?? mapped.message
                FileHandle.standardError.write(Data("Error: \(first)\n".utf8))
                Foundation.exit(1)
            }
            let code = exitCode(for: error)
            if code == .success { exit(withError: error) }  // --help, --version
            let first = message(for: error).split(separator: "\n").first.map(String.init) ?? "\(error)"
            FileHandle.standardError.write(Data("Error: \(first) (see --help)\n".utf8))
            Foundation.exit(code.rawValue)
        }
    }
}
