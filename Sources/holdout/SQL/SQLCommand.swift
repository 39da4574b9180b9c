import ArgumentParser
import Foundation
import HoldoutQuery
import HoldoutSQLGuard
import HoldoutStore

struct SQLCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sql",
        abstract: "SQL over the semantic views: check a query against the guard, run it behind the second wall, make reader roles.",
        subcommands: [SQLCheckCommand.self, SQLRunCommand.self, SQLReaderCommand.self])
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
        let text = try GuardedQueryOptions.argumentOrStandardInput(query, name: "query")
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

struct SQLRunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run a query over the semantic views: the guard, then a connection that can read the views only.",
        discussion: """
            The guard checks the query by the rules of the database's engine (a refusal prints the reason and exits 3, \
            like `sql check`); an approved query runs on SQLite on a read-only connection whose authorizer admits the \
            views only, on PostgreSQL as a reader role (`holdout sql reader`; HOLDOUT_SQL_READER_URL) in a transaction \
            that is rolled back. The views show one tenant's experiments. More rows than --max-rows: the first ones, \
            "truncated": true. A query past --timeout-ms is interrupted and reported as an error (exit 1). \
            docs/semantic-layer.md.

            Examples:
              holdout sql run "SELECT variation_id, n_users, uplift_abs, p_value_two_sided FROM fct_experiment_results WHERE experiment_id = 'email-q1'"
              holdout sql run --json --max-rows 10 "SELECT * FROM fct_experiment_exposure_quality_daily ORDER BY date_day"
              HOLDOUT_SQL_READER_URL=postgres://holdout_reader_acme:…@127.0.0.1/holdout holdout sql run --database postgres://… --tenant acme "SELECT * FROM dim_ai_allowed_assets"
            """)

    @Argument(help: "The query, or - to read it from standard input.")
    var query: String

    @OptionGroup var db: DatabaseOptions

    @OptionGroup var guarded: GuardedQueryOptions

    @Flag(help: "Print one JSON object: {columns, rows, truncated}, or the refusal {allowed, reason, relations, functions}.")
    var json = false

    func run() async throws {
        let text = try GuardedQueryOptions.argumentOrStandardInput(query, name: "query")
        let location = try StoreLocation(db.database)
        // Opening the store checks (SQLite: brings up to date) the schema the views belong to.
        try await db.with { _ in }
        let result: QueryResult
        do {
            result = try await guarded.runner(location).run(sql: text, tenant: guarded.tenant, maxRows: guarded.maxRows, timeout: guarded.timeout)
        } catch {
            if error.kind == .refused, let verdict = error.verdict {
                if json { try Output.json(verdict) } else { print("refused: \(verdict.reason ?? "")") }
                throw ExitCode(3)
            }
            throw CLIError(error.message)
        }
        if json {
            try Output.json(result)
        } else {
            print(Output.table(header: result.columns, rows: result.rows.map { $0.map(\.description) }))
        }
        if result.truncated {
            Output.error("truncated: the query returned more than \(guarded.maxRows) rows; only the first \(guarded.maxRows) are shown\n")
        }
    }
}

struct SQLReaderCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reader",
        abstract: "PostgreSQL: create or update a tenant's reader login role, which may SELECT the semantic views only.",
        discussion: """
            Roles are cluster-wide, so this is a command, not a migration; the store's user needs CREATEROLE. The role \
            gets SELECT on the six views and nothing else, default_transaction_read_only, a 30 s statement_timeout, and is \
            mapped to the tenant whose experiments its views show. Prints the URL for HOLDOUT_SQL_READER_URL (it holds \
            the password: keep it like a key). Run it again to change the password or the tenant.

            Example:
              holdout sql reader --database postgres://postgres@127.0.0.1:5432/holdout --tenant acme
            """)

    @OptionGroup var db: DatabaseOptions

    @Option(help: "The tenant the role reads.")
    var tenant = "default"

    @Option(help: "The role's name (default holdout_reader_<tenant>).")
    var role: String?

    @Option(help: "Its password, 12–128 of A–Z a–z 0–9 . _ ~ - (default: 32 random hex digits; also HOLDOUT_SQL_READER_PASSWORD).")
    var password: String?

    @Flag(help: "Print one JSON object: {role, tenant, url}.")
    var json = false

    struct Report: Encodable {
        var role: String
        var tenant: String
        var url: String
    }

    func run() async throws {
        guard let name = role ?? ReaderRole.defaultName(tenant: tenant) else {
            throw CLIError("the tenant \"\(tenant)\" makes no role name: give --role")
        }
        let secret = password ?? ProcessInfo.processInfo.environment["HOLDOUT_SQL_READER_PASSWORD"] ?? ReaderRole.generatedPassword()
        let url = try await db.with { store in
            do {
                return try await ReaderRole.create(on: store, tenant: tenant, role: name, password: secret)
            } catch let error as GuardedQueryError {
                throw CLIError(error.message)
            }
        }
        if json {
            try Output.json(Report(role: name, tenant: tenant, url: url))
        } else {
            print("reader role \(name) reads tenant \(tenant)'s views; run queries with:")
            print("HOLDOUT_SQL_READER_URL=\(url)")
        }
    }
}
