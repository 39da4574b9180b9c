import ArgumentParser
import Foundation
import HoldoutSQLGuard

struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "SQL over the semantic views: check a query against the guard.",
        subcommands: [SQLCheckCommand.self])
}

struct SQLCheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Decide whether a query may read the semantic views; exit 0 when allowed, 3 when refused.",
        discussion: """
            The query must be exactly one SELECT (or set operation of SELECTs) that reads only the semantic views \
            (fct_experiment_results, agg_experiment_metric_by_variant, fct_experiment_cohort, \
            int_experiment_exposure_validation, fct_experiment_exposure_quality_daily, dim_ai_allowed_assets) and calls \
            only allowlisted functions, parsed by the rules of the chosen engine. Rules: docs/sql-guard.md.

            Examples:
              holdout sql check "SELECT variation_id, uplift_abs FROM fct_experiment_results"
              holdout sql check --dialect postgres --json "SELECT query_to_xml('SELECT 1', true, true, '')"
              echo "SELECT * FROM sqlite_master" | holdout sql check -
            """)

    enum Dialect: String, ExpressibleByArgument, CaseIterable {
        case sqlite, postgres

        var sqlDialect: SQLDialect { self == .sqlite ? .sqlite : .postgres }
    }

    @Argument(help: "The query, or - to read it from standard input.")
    var query: String

    @Option(help: "The engine whose SQL rules apply.")
    var dialect: Dialect = .sqlite

    @Flag(help: "Print one JSON object: {allowed, reason, relations, functions}.")
    var json = false

    func run() throws {
        var text = query
        if query == "-" {
            text = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        let verdict = SQLGuard.holdout(dialect: dialect.sqlDialect).check(text)
        if json {
            try Output.json(verdict)
        } else if verdict.isAllowed {
            print(
                "allowed: reads \(verdict.relations.isEmpty ? "no relation" : verdict.relations.joined(separator: ", "))"
                    + (verdict.functions.isEmpty ? "" : "; calls \(verdict.functions.joined(separator: ", "))"))
        } else {
            print("refused: \(verdict.reason ?? "")")
        }
        if !verdict.isAllowed { throw ExitCode(3) }
    }
}
