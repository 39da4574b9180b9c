/// Seed 003's semantic contract: the views an analyst or an AI assistant may query, with their
/// grain, primary keys and a description of every column.
///
/// The one definition: migration 8 fills the view `dim_ai_allowed_assets` from it, `holdout
/// assets` prints it, and a test checks that the views have exactly these columns on both engines.
///
/// ```swift
/// SemanticContract.assets.map(\.name)   // ["fct_experiment_results", …, "dim_ai_allowed_assets"]
/// ```
public enum SemanticContract {
    /// One column of an asset.
    public struct Column: Sendable, Hashable, Codable {
        public var name: String
        public var type: String
        public var description: String
    }

    /// One queryable view.
    public struct Asset: Sendable, Hashable, Codable {
        public var name: String
        public var grain: String
        public var primaryKeys: [String]
        public var description: String
        public var columns: [Column]

        enum CodingKeys: String, CodingKey {
            case name = "asset_name"
            case grain
            case primaryKeys = "primary_keys"
            case description, columns
        }
    }

    /// What every view shows: only the experiments of the tenant the query runs for.
    public static let tenancy =
        "Every view shows the experiments of one tenant only: the tenant of the reader role on PostgreSQL, the tenant the runner "
        + "was given on SQLite. Timestamps are microseconds since the Unix epoch, UTC; experiment_id is the experiment's key."

    private static func column(_ name: String, _ type: String, _ description: String) -> Column {
        Column(name: name, type: type, description: description)
    }

    private static let experimentID = column("experiment_id", "text", "The experiment's key (as in `holdout results --experiment`).")
    private static let analysisMode = column(
        "analysis_mode", "text", "itt (every assigned unit, from its assignment) or exposure (units with a valid exposure, from their first exposure).")
    private static let metricID = column(
        "metric_id", "text", "The metric: `conversion`, the experiment's outcomes and the events named by its conversion_key.")

    /// The assets, in the order they are listed.
    public static let assets: [Asset] = [
        Asset(
            name: "fct_experiment_results", grain: "experiment_id × analysis_mode × metric_id × variation_id",
            primaryKeys: ["experiment_id", "analysis_mode", "metric_id", "variation_id"],
            description:
                "Each variant against the control (the experiment's first variant): two-proportion z-test (pooled p-value, unpooled 95% Wald interval), "
                + "as `holdout results` computes it, live from the events.",
            columns: [
                experimentID, analysisMode, metricID,
                column("variation_id", "text", "The variant."),
                column("is_control", "integer", "1 for the control variant, 0 otherwise."),
                column("n_users", "integer", "Units in the cohort of this variant."),
                column("n_converted", "integer", "Units that converted within the conversion window."),
                column("conversion_rate", "double", "n_converted / n_users (0 for an empty arm)."),
                column("uplift_abs", "double", "conversion_rate minus the control's; null for the control or an empty arm."),
                column("uplift_rel", "double", "uplift_abs / the control's rate; null when that rate is 0 or no unit converted."),
                column("p_value_two_sided", "double", "Two-sided p-value of the pooled z-test; null when undefined (no conversions, or every unit converted)."),
                column("ci_low", "double", "Lower end of the 95% interval of uplift_abs; null when the interval is undefined."),
                column("ci_high", "double", "Upper end of the 95% interval of uplift_abs."),
                column("computed_at", "bigint", "When the row was computed (the query's time; the view is live)."),
            ]),
        Asset(
            name: "agg_experiment_metric_by_variant", grain: "experiment_id × analysis_mode × metric_id × variation_id",
            primaryKeys: ["experiment_id", "analysis_mode", "metric_id", "variation_id"],
            description: "Aggregated counts, rates and values per variant, in both analysis modes; every variant appears, empty ones with zeros.",
            columns: [
                experimentID, analysisMode, metricID,
                column("variation_id", "text", "The variant."),
                column("n_users", "integer", "Units in the cohort of this variant."),
                column("n_converted", "integer", "Units with an outcome within [anchor, anchor + conversion window)."),
                column("conversion_rate", "double", "n_converted / n_users (0 for an empty arm)."),
                column("total_value", "double", "Sum of the values of the counted outcomes (uncapped)."),
            ]),
        Asset(
            name: "fct_experiment_cohort", grain: "experiment_id × unit_id", primaryKeys: ["experiment_id", "unit_id"],
            description:
                "The canonical cohort: every assigned unit with its exposure flags (ITT is every row; exposure analysis the rows with validation_status = 'valid').",
            columns: [
                experimentID,
                column("unit_id", "text", "The unit (profile) id."),
                column("variation_id", "text", "The assigned variant."),
                column("assigned_at", "bigint", "When the unit was assigned."),
                column("is_exposed", "integer", "1 when the unit has at least one exposure, 0 otherwise."),
                column("first_exposure_at", "bigint", "The unit's first exposure; null when never exposed."),
                column("validation_status", "text", "As in int_experiment_exposure_validation."),
            ]),
        Asset(
            name: "int_experiment_exposure_validation", grain: "experiment_id × unit_id", primaryKeys: ["experiment_id", "unit_id"],
            description:
                "Exposure integrity per assigned unit: exposures recorded for the experiment and experiment_exposure events, checked against the assignment.",
            columns: [
                experimentID,
                column("unit_id", "text", "The unit (profile) id."),
                column("assigned_variant_id", "text", "The assigned variant."),
                column("assigned_at", "bigint", "When the unit was assigned."),
                column("first_exposure_at", "bigint", "The unit's first exposure; null when never exposed."),
                column(
                    "validation_status", "text",
                    "valid, no_exposure, multi_variation_exposure, variant_mismatch, pre_assignment_exposure or exposure_outside_window (the first that applies)."
                ),
            ]),
        Asset(
            name: "fct_experiment_exposure_quality_daily", grain: "experiment_id × date_day", primaryKeys: ["experiment_id", "date_day"],
            description:
                "Daily exposure health of the units assigned on each UTC day, as `holdout quality` reports it, with a sample-ratio-mismatch test of that day's assignments.",
            columns: [
                experimentID,
                column("date_day", "date", "The UTC day the units were assigned (PostgreSQL: a DATE; SQLite: YYYY-MM-DD text)."),
                column("n_assigned", "integer", "Units assigned that day."),
                column("n_exposures", "integer", "Of those, units with at least one exposure."),
                column("n_invalid", "integer", "Of the exposed units, those whose validation_status is not valid."),
                column("exposure_rate", "double", "n_exposures / n_assigned."),
                column("valid_exposure_rate", "double", "Valid units / n_assigned."),
                column("mismatch_rate", "double", "Units with variant_mismatch or multi_variation_exposure / n_exposures (0 without exposures)."),
                column(
                    "srm_p_value", "double",
                    "Chi-squared test of the day's assignments per variant against the planned weights (k − 1 degrees of freedom); null with more than 7 variants."
                ),
            ]),
        Asset(
            name: "dim_ai_allowed_assets", grain: "asset_name", primaryKeys: ["asset_name"],
            description: "This contract: the assets that may be queried, their grain, keys and columns.",
            columns: [
                column("asset_name", "text", "The view's name."),
                column("grain", "text", "What one row is."),
                column("primary_keys", "text", "The columns that identify a row, comma-separated."),
                column("description", "text", "What the view holds."),
                column("columns", "text", "A JSON array of {name, type, description}, one per column."),
            ]),
    ]
}
