public import Foundation
public import HoldoutSQLGuard

/// Turns a question in words into one SQL query over the semantic views (`holdout ask`).
///
/// A planner only writes SQL; it never runs it. ``Ask`` puts every plan through the guard and,
/// when the guard allows it, runs it behind the second wall, so a planner (an LLM above all) is
/// never trusted with the data.
///
/// ```swift
/// let plan = try await BuiltinPlanner().plan("which experiments are significant this week?", context: context)
/// plan.sql  // "SELECT experiment_id, … FROM fct_experiment_results WHERE … p_value_two_sided < 0.05 …"
/// ```
public protocol QuestionPlanner: Sendable {
    /// How the plan says who wrote it: `builtin`, `llm`.
    var name: String { get }

    /// The SQL that answers `question`, or a ``PlanningError`` that says why there is none.
    func plan(_ question: String, context: PlanningContext) async throws(PlanningError) -> QueryPlan
}

/// What a planner knows besides the question.
public struct PlanningContext: Sendable {
    /// The engine the SQL will run on.
    public var dialect: SQLDialect
    /// The time the question is asked (periods such as "this week" are relative to it).
    public var now: Date
    /// The experiment keys of the tenant (lets the built-in planner recognise an unquoted key).
    public var experimentKeys: [String]

    public init(dialect: SQLDialect, now: Date = Date(), experimentKeys: [String] = []) {
        self.dialect = dialect
        self.now = now
        self.experimentKeys = experimentKeys
    }
}

/// A planner's answer: the SQL and what it means.
public struct QueryPlan: Sendable, Hashable {
    /// The planner's ``QuestionPlanner/name``.
    public var planner: String
    public var sql: String
    /// One or two sentences on what the SQL computes (the period, the threshold, the mode).
    public var explanation: String
    /// What the question asked, so the answer can be phrased for it.
    public var intent: QuestionIntent

    public init(planner: String, sql: String, explanation: String, intent: QuestionIntent) {
        self.planner = planner
        self.sql = sql
        self.explanation = explanation
        self.intent = intent
    }
}

/// The question families the built-in planner knows, and `freeform` for any other planner.
public enum QuestionIntent: Sendable, Hashable {
    /// One experiment's results per variant.
    case results(experiment: String, mode: String)
    /// Daily exposure health, optionally of one experiment and over a period.
    case exposureHealth(experiment: String?, period: Period?)
    /// Variants significant at `alpha`, of experiments active in the period when there is one.
    case significant(alpha: Double, mode: String, period: Period?)
    /// Days whose sample-ratio test has a p-value below `threshold`.
    case srmFailures(threshold: Double, experiment: String?, period: Period?)
    /// Units assigned so far (or in the period), per variant.
    case sampleSize(experiment: String?, period: Period?)
    /// SQL whose shape the planner does not describe (an LLM's).
    case freeform
}

/// Why a planner produced no SQL.
public struct PlanningError: Error, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Encodable {
        /// The question is not one the planner understands (the message says which forms it knows).
        case notUnderstood = "not_understood"
        /// The question, or a value in it, is empty, too long or out of range.
        case invalidInput = "invalid_input"
        /// The planner is not configured (a missing or malformed HOLDOUT_LLM_URL / HOLDOUT_LLM_MODEL).
        case notConfigured = "not_configured"
        /// The LLM endpoint could not be reached, answered with an error, too slowly or too much.
        case endpoint
        /// The LLM endpoint answered 2xx with something that is not a chat completion holding SQL.
        case badResponse = "bad_response"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// The longest question a planner accepts (bytes of UTF-8).
public let maximumQuestionLength = 4096

/// Checks a question's size; returns it trimmed.
func validatedQuestion(_ question: String) throws(PlanningError) -> String {
    let trimmed = question.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else { throw PlanningError(.invalidInput, "the question is empty") }
    guard trimmed.utf8.count <= maximumQuestionLength else {
        throw PlanningError(.invalidInput, "the question is longer than \(maximumQuestionLength) bytes")
    }
    return trimmed
}
