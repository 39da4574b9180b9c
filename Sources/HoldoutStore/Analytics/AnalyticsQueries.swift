import HoldoutModel
package import SQLKit

/// The analysis queries — exposure validation and quality, cohorts, per-variant statistics,
/// outcomes not counted, time series — as SQL built from a dialect and a request's parameters,
/// apart from running them.
///
/// The ``Store`` methods run what these return; `DialectSQLTests` renders them for each dialect
/// (``StoreDialect/render(_:)``) and checks the text, so a dialect's SQL is tested without its
/// engine.
///
/// ```swift
/// let queries = AnalyticsQueries(dialect: PostgresStoreDialect())
/// let text = queries.dialect.render(queries.validation(experimentID: 7)).sql
/// // WITH x AS (SELECT id, key, … FROM experiments WHERE id = $1), all_exposures AS (…
/// ```
package struct AnalyticsQueries: Sendable {
    /// The engine the SQL is written for.
    package let dialect: any StoreDialect
    /// The outcome metric the statistics read (`experiment_outcomes.metric`): `""` is the
    /// experiment's default metric, which also counts the events named by its `conversion_key`.
    package var metric: String

    package init(dialect: any StoreDialect, metric: String = "") {
        self.dialect = dialect
        self.metric = metric
    }

    /// Appends ` AND <column> = <the metric>`.
    func appendMetricCondition(to query: inout SQLQueryString, column: String = "metric") {
        query.appendLiteral(" AND \(column) = ")
        query.appendInterpolation(bind: metric)
    }

    /// A double as an SQL literal (caps are computed numbers, not user text).
    static func literal(_ value: Double) -> String {
        value.isFinite ? "\(value)" : "0"
    }

    /// `expression` winsorized at `cap` (unchanged when `cap` is nil).
    static func capped(_ expression: String, at cap: Double?) -> String {
        guard let cap else { return expression }
        return "(CASE WHEN \(expression) > \(literal(cap)) THEN \(literal(cap)) ELSE \(expression) END)"
    }
}

// MARK: Exposure validation and quality

extension AnalyticsQueries {
    /// Every assigned unit with its validation status, ordered by profile: columns `profile_id`,
    /// `variant`, `assigned_at`, `first_exposure_at`, `validation_status`.
    package func validation(experimentID: Int64) -> SQLQueryString {
        var query = SQLQueryString("")
        appendValidationCTEs(to: &query, experimentID: experimentID)
        query.appendLiteral("SELECT profile_id, variant, assigned_at, first_exposure_at, validation_status FROM validation ORDER BY profile_id")
        return query
    }

    /// Units per UTC day of assignment and validation status: columns `day` (days since the
    /// epoch), `validation_status`, `n`.
    package func dailyQuality(experimentID: Int64) -> SQLQueryString {
        var query = SQLQueryString("")
        appendValidationCTEs(to: &query, experimentID: experimentID)
        let day = dialect.floorDivide("assigned_at", "86400000000")
        query.appendLiteral(
            "SELECT \(day) AS day, validation_status, COUNT(*) AS n FROM validation GROUP BY \(day), validation_status ORDER BY day, validation_status")
        return query
    }

    /// How many assigned units have one of `statuses` (a data contract): column `n`.
    package func validationStatusCount(experimentID: Int64, statuses: [String]) -> SQLQueryString {
        var query = SQLQueryString("")
        appendValidationCTEs(to: &query, experimentID: experimentID)
        query.appendLiteral("SELECT COUNT(*) AS n FROM validation WHERE validation_status IN (")
        query.appendInterpolation(binds: statuses)
        query.appendLiteral(")")
        return query
    }

    /// Appends the common table expressions `x` (the experiment), `exposure_agg` and `validation`
    /// (one row per assigned unit with its status) for an experiment.
    ///
    /// With `validation` false only `x` is appended (ITT needs no exposure validation).
    func appendValidationCTEs(to query: inout SQLQueryString, experimentID: Int64, validation: Bool = true) {
        query.appendLiteral(
            "WITH x AS (SELECT id, key, conversion_key, start_at, end_at, CAST(conversion_window_days AS BIGINT) * 86400000000 AS window_us FROM experiments WHERE id = "
        )
        query.appendInterpolation(bind: experimentID)
        guard validation else {
            query.appendLiteral(")\n")
            return
        }
        // Exposures: those recorded for the experiment, plus `experiment_exposure` events whose
        // properties name the experiment (seed 003's stg_experiment_exposures from fct_events).
        let eventExperiment = dialect.jsonText("ev.properties", key: "experiment_id")
        let eventVariant = dialect.jsonText("ev.properties", key: "variant")
        query.appendLiteral(
            """
            ), all_exposures AS (
                SELECT profile_id, exposure_ts, variant FROM experiment_exposures WHERE experiment_id = 
            """)
        query.appendInterpolation(bind: experimentID)
        query.appendLiteral(
            """

                UNION ALL
                SELECT ev.profile_id, ev.ts, \(eventVariant) FROM x CROSS JOIN events ev
                WHERE ev.event_name = '\(ExposureEvent.name)' AND \(eventExperiment) = x.key
            ), exposure_agg AS (
                SELECT profile_id, MIN(exposure_ts) AS first_exposure_at, MIN(variant) AS min_variant,
                    MAX(variant) AS logged_variant
                FROM all_exposures
            """)
        query.appendLiteral(
            """
             GROUP BY profile_id
            ), validation AS (
                SELECT a.profile_id, a.variant, a.assigned_at, e.first_exposure_at,
                    CASE
                        WHEN e.profile_id IS NULL THEN 'no_exposure'
                        WHEN e.min_variant <> e.logged_variant THEN 'multi_variation_exposure'
                        WHEN e.logged_variant IS NOT NULL AND e.logged_variant <> a.variant THEN 'variant_mismatch'
                        WHEN e.first_exposure_at < a.assigned_at THEN 'pre_assignment_exposure'
                        WHEN (x.start_at IS NOT NULL AND e.first_exposure_at < x.start_at)
                            OR (x.end_at IS NOT NULL AND e.first_exposure_at > x.end_at) THEN 'exposure_outside_window'
                        ELSE 'valid'
                    END AS validation_status
                FROM experiment_assignments a
                CROSS JOIN x
                LEFT JOIN exposure_agg e ON e.profile_id = a.profile_id
                WHERE a.experiment_id = 
            """)
        query.appendInterpolation(bind: experimentID)
        query.appendLiteral(")\n")
    }
}
