import ArgumentParser
import Foundation
import HoldoutModel
import HoldoutQuery
import HoldoutSQLGuard
import HoldoutStore

struct AskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ask",
        abstract: "Ask a question about the experiments: a planner writes SQL over the semantic views, the guard checks it, it runs, an answer.",
        discussion: """
            Question → plan → SQL → guard → second wall → answer. Prints the SQL, the guard's verdict, the rows and a \
            one-line answer. A query the guard refuses does not run: the answer says why, and the exit status is 3.

            Planners: `builtin` (deterministic, no network) answers the results of an experiment, exposure health over a \
            period, significant experiments, SRM failures and sample size so far; periods: today, yesterday, this week, \
            last week, this month, last N days, since YYYY-MM-DD (UTC). Name an experiment by its key (quote it if it is \
            not one of the tenant's). `llm` asks a model behind any OpenAI-compatible chat-completions endpoint: \
            HOLDOUT_LLM_URL is the API's base URL including its version (https://api.openai.com/v1, \
            http://127.0.0.1:11434/v1 for Ollama), HOLDOUT_LLM_MODEL the model, HOLDOUT_LLM_KEY the bearer key (optional). \
            The model gets the semantic contract, the engine's dialect, today's date and the tenant's experiment keys; its \
            SQL is checked by the guard like any other. `auto` (the default) is `llm` when HOLDOUT_LLM_URL is set, else \
            `builtin`. docs/ask.md.

            Exit status: 0 answered, 3 refused by the guard (or the second wall), 1 anything else (a question the planner \
            does not understand, an endpoint error, a query that failed).

            Examples:
              holdout ask "which experiments are significant this week?"
              holdout ask "results of email-q1" --json
              holdout ask "exposure health of email-q1 in the last 7 days"
              holdout ask "SRM failures since 2026-03-01"
              holdout ask "sample size of 'checkout-v2' so far"
              HOLDOUT_LLM_URL=http://127.0.0.1:11434/v1 HOLDOUT_LLM_MODEL=qwen2.5-coder holdout ask --planner llm "which variant of email-q1 converts best on mobile?"
            """)

    enum PlannerChoice: String, ExpressibleByArgument, CaseIterable {
        case auto, builtin, llm
    }

    @Argument(help: "The question, or - to read it from standard input.")
    var question: String

    @Option(help: "Who writes the SQL: auto (llm when HOLDOUT_LLM_URL is set, else builtin), builtin or llm.")
    var planner: PlannerChoice = .auto

    @OptionGroup var db: DatabaseOptions

    @OptionGroup var query: GuardedQueryOptions

    @Option(help: "The LLM planner's time limit for the whole exchange, in milliseconds (1–600000).")
    var llmTimeoutMs = 60000

    @Flag(help: "Print one JSON object: {question, planner, sql, explanation, verdict, executed, columns, rows, truncated, answer}.")
    var json = false

    func validate() throws {
        guard (1...600_000).contains(llmTimeoutMs) else { throw ValidationError("--llm-timeout-ms must be in 1…600000") }
    }

    /// The planner chosen, configured from the environment.
    func makePlanner(environment: [String: String]) throws -> any QuestionPlanner {
        let configured = LLMPlanner.Configuration.fromEnvironment(environment)
        switch planner {
        case .builtin:
            return BuiltinPlanner()
        case .auto where configured == nil:
            return BuiltinPlanner()
        case .auto, .llm:
            guard var configuration = configured else {
                throw CLIError("--planner llm needs HOLDOUT_LLM_URL (the API's base URL, e.g. https://api.openai.com/v1) and HOLDOUT_LLM_MODEL")
            }
            configuration.timeout = .milliseconds(llmTimeoutMs)
            do {
                return try LLMPlanner(configuration: configuration)
            } catch {
                throw CLIError(error.message)
            }
        }
    }

    func run() async throws {
        let text = try GuardedQueryOptions.argumentOrStandardInput(question, name: "question")
        let chosen = try makePlanner(environment: ProcessInfo.processInfo.environment)
        let location = try StoreLocation(db.database)
        // Opening the store checks (SQLite: brings up to date) the schema; the tenant's keys let
        // the planners recognise an experiment named without quotes.
        let keys = try await db.with { store in try await store.experiments(tenant: query.tenant).map(\.key) }
        let ask = Ask(runner: query.runner(location))
        let context = PlanningContext(dialect: location.guardDialect, now: Date(), experimentKeys: keys)
        let answer: Ask.Answer
        do {
            answer = try await ask.ask(text, planner: chosen, context: context, tenant: query.tenant, maxRows: query.maxRows, timeout: query.timeout)
        } catch {
            switch error {
            case .planning(let failure): throw CLIError(failure.message)
            case .query(let failure, plan: let plan): throw CLIError("\(failure.message) (the \(plan.planner) planner's query: \(Self.oneLine(plan.sql)))")
            }
        }
        if json {
            try Output.json(answer)
        } else {
            print("-- planner: \(answer.planner) — \(answer.explanation)")
            print(answer.sql)
            print()
            if answer.verdict.isAllowed {
                print("guard: allowed (reads \(answer.verdict.relations.joined(separator: ", ")))")
            } else {
                print("guard: refused — \(answer.verdict.reason ?? "")")
            }
            if answer.executed {
                print()
                print(answer.rows.isEmpty ? "(no rows)" : Output.table(header: answer.columns, rows: answer.rows.map { $0.map(\.description) }))
            }
            print()
            print(answer.answer)
        }
        if answer.refused { throw ExitCode(3) }
    }

    static func oneLine(_ sql: String) -> String {
        let line = sql.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        return line.count > 300 ? String(line.prefix(300)) + "…" : line
    }
}
