import HoldoutModel
import HoldoutQuery
public import MCP

extension Tool {
    /// Holdout's tools.
    public enum Name: String, Sendable, CaseIterable {
        case listExperiments = "list_experiments"
        case getResults = "get_results"
        case describeAssets = "describe_assets"
        case runGuardedSQL = "run_guarded_sql"

        /// The arguments the tool takes (any other is refused, naming it).
        var arguments: [String] {
            switch self {
            case .listExperiments: ["status"]
            case .getResults: ["experiment", "mode", "metric", "alpha"]
            case .describeAssets: []
            case .runGuardedSQL: ["sql", "max_rows", "timeout_ms"]
            }
        }
    }

    /// Every tool reads only, never changes anything, gives the same answer for the same data and
    /// reaches nothing outside the store.
    static let readOnly = Annotations(readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false)

    /// The runner's longest time limit, in milliseconds.
    public static var maximumTimeoutMilliseconds: Int { Int(GuardedQueryRunner.maximumTimeout.components.seconds) * 1000 }

    /// An object schema that admits these properties only.
    static func schema(_ properties: [String: Value], required: [String] = []) -> Value {
        var schema: [String: Value] = ["type": "object", "properties": .object(properties), "additionalProperties": false]
        if !required.isEmpty { schema["required"] = .array(required.map { .string($0) }) }
        return .object(schema)
    }

    /// The four tools, in the order `tools/list` gives them.
    public static let all: [Tool] = [
        Tool(
            name: Name.listExperiments.rawValue, title: "List experiments",
            description:
                "The tenant's experiments, newest first: key, name, status, channel, variants (name and weight; the first is control), "
                + "start_at, end_at, conversion_key, conversion_window_days. Returns {\"experiments\": [...], \"truncated\": bool}.",
            inputSchema: schema([
                "status": [
                    "type": "string", "enum": .array(ExperimentStatus.allCases.map { .string($0.rawValue) }),
                    "description": "Only experiments in this status.",
                ]
            ]),
            annotations: readOnly),
        Tool(
            name: Name.getResults.rawValue, title: "Experiment results",
            description:
                "One experiment's results, exactly as GET /api/experiments/{id}/results returns them: arms, uplift_abs and uplift_rel of the "
                + "first treatment with its interval and p-value, every treatment against control, revenue, the sequential (always-valid) "
                + "view, SRM, CUPED when covariates exist, and what the mode did not count.",
            inputSchema: schema(
                [
                    "experiment": ["type": "string", "description": "The experiment's key (see list_experiments)."],
                    "mode": [
                        "type": "string", "enum": ["itt", "exposure"],
                        "description": "itt: every assigned unit from its assignment; exposure: units with a valid exposure, from the first one.",
                    ],
                    "metric": ["type": "string", "description": "An outcome metric other than the experiment's default (omit for the default)."],
                    "alpha": ["type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1, "description": "Significance level (default 0.05)."],
                ], required: ["experiment", "mode"]),
            annotations: readOnly),
        Tool(
            name: Name.describeAssets.rawValue, title: "Describe the semantic views",
            description:
                "The semantic contract: the views run_guarded_sql may read, each with its grain, primary keys, description and columns "
                + "(name, type, description), and how tenancy applies. Returns {\"tenancy\": ..., \"assets\": [...]}.",
            inputSchema: schema([:]),
            annotations: readOnly),
        Tool(
            name: Name.runGuardedSQL.rawValue, title: "Run SQL over the semantic views",
            description:
                "Runs one SELECT (or set operation of SELECTs) that reads only the semantic views (describe_assets) and calls only "
                + "allowlisted functions. A guard checks it first and refuses anything else with the reason; an approved query runs on a "
                + "connection that can only read those views, for this tenant only. Returns {\"columns\": [...], \"rows\": [[...]], "
                + "\"truncated\": bool} (truncated: more rows than max_rows, or than fit in one answer).",
            inputSchema: schema(
                [
                    "sql": ["type": "string", "description": "The query (SQLite or PostgreSQL syntax, as the store's engine)."],
                    "max_rows": ["type": "integer", "minimum": 1, "maximum": .int(GuardedQueryRunner.maximumRows), "description": "Rows kept (default 1000)."],
                    "timeout_ms": [
                        "type": "integer", "minimum": 1, "maximum": .int(maximumTimeoutMilliseconds),
                        "description": "The statement's time limit in milliseconds (default 5000).",
                    ],
                ], required: ["sql"]),
            annotations: readOnly),
    ]
}
