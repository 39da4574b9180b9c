public import HoldoutSQLGuard

/// `holdout ask`: question → plan → guard → second wall → answer.
///
/// The planner writes SQL; the guard decides on it; only an allowed query runs, on the
/// ``GuardedQueryRunner``'s second wall. A refused query never reaches the engine: the answer
/// says that the guard refused it, why, and that nothing ran.
///
/// ```swift
/// let ask = Ask(runner: GuardedQueryRunner(location: .sqlite(path: "holdout.sqlite")))
/// let answer = try await ask.ask("which experiments are significant this week?", planner: BuiltinPlanner(), context: context, tenant: "default")
/// answer.answer  // "2 experiments have a variant significant at 0.05 (itt): …"
/// ```
public struct Ask: Sendable {
    public let runner: GuardedQueryRunner

    public init(runner: GuardedQueryRunner) { self.runner = runner }

    /// What `holdout ask --json` prints: `{question, planner, sql, explanation, verdict, executed, columns, rows, truncated, answer}`.
    public struct Answer: Sendable, Encodable {
        public var question: String
        public var planner: String
        public var sql: String
        public var explanation: String
        /// The guard's verdict on `sql`.
        public var verdict: Verdict
        /// The query ran (the guard and the second wall allowed it).
        public var executed: Bool
        public var columns: [String]
        public var rows: [[QueryValue]]
        public var truncated: Bool
        /// A sentence or two for a person: what the rows say, or why nothing ran.
        public var answer: String
        /// Refused by the guard, or by the second wall after the guard allowed it.
        public var refused: Bool { !executed }

        enum CodingKeys: String, CodingKey {
            case question, planner, sql, explanation, verdict, executed, columns, rows, truncated, answer
        }
    }

    /// Why there is no answer.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The planner wrote no SQL.
        case planning(PlanningError)
        /// The approved query failed on the engine (time limit, size, engine error, unreachable).
        case query(GuardedQueryError, plan: QueryPlan)

        public var description: String {
            switch self {
            case .planning(let error): error.message
            case .query(let error, _): error.message
            }
        }
    }

    /// Plans `question`, checks the SQL with the guard and, when it is allowed, runs it.
    ///
    /// - Returns: The answer; `executed` is false when the guard (or the second wall) refused
    ///   the query, and then `answer` says so and `rows` is empty.
    /// - Throws: ``Failure``: the planner's error, or the engine's for an approved query.
    public func ask(
        _ question: String, planner: any QuestionPlanner, context: PlanningContext, tenant: String, maxRows: Int = 1000,
        timeout: Duration = .seconds(5)
    ) async throws(Failure) -> Answer {
        let plan: QueryPlan
        do {
            plan = try await planner.plan(question, context: context)
        } catch {
            throw .planning(error)
        }
        let verdict = runner.check(plan.sql)
        var answer = Answer(
            question: question, planner: plan.planner, sql: plan.sql, explanation: plan.explanation, verdict: verdict, executed: false, columns: [],
            rows: [], truncated: false, answer: "")
        guard verdict.isAllowed else {
            answer.answer =
                "The guard refused the \(plan.planner) planner's query: \(verdict.reason ?? "not allowed"). Nothing ran, so there is no answer."
            return answer
        }
        let result: QueryResult
        do {
            result = try await runner.run(sql: plan.sql, tenant: tenant, maxRows: maxRows, timeout: timeout)
        } catch {
            switch error.kind {
            case .refused, .notAuthorized:
                answer.answer = "The guard allowed the query but the database's second wall refused it: \(error.message). Nothing was returned."
                return answer
            default:
                throw .query(error, plan: plan)
            }
        }
        answer.executed = true
        answer.columns = result.columns
        answer.rows = result.rows
        answer.truncated = result.truncated
        answer.answer = AnswerText.summary(intent: plan.intent, result: result)
        return answer
    }
}
