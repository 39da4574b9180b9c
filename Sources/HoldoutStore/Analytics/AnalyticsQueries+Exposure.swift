import HoldoutModel
package import SQLKit

// MARK: Exposure-based statistics by unit range

extension AnalyticsQueries {
    /// One row (column `found`) when the experiment has exposures (`exposures` true) or
    /// conversions (false) derived from the events stream, for which the general query runs
    /// instead of the passes by unit range.
    package func derivedFromEvents(experimentID: Int64, exposures: Bool) -> SQLQueryString {
        if exposures {
            let eventExperiment = dialect.jsonText("ev.properties", key: "experiment_id")
            return """
                SELECT 1 AS found FROM experiments x CROSS JOIN events ev
                WHERE x.id = \(bind: experimentID) AND ev.event_name = \(bind: ExposureEvent.name) AND \(unsafeRaw: eventExperiment) = x.key LIMIT 1
                """
        }
        return "SELECT 1 AS found FROM experiments x CROSS JOIN events ev WHERE x.id = \(bind: experimentID) AND ev.event_name = x.conversion_key LIMIT 1"
    }

    /// Pass 1 (`outcomes` false): valid units per variant, and exposed units with an unlisted
    /// assigned variant. Pass 2: per variant, the valid units with an outcome, their conversions
    /// within the window from the first exposure, and value sums (capped per unit).
    package func exposurePartition(experimentID: Int64, variants: [String], cap: Double?, range: (String?, String?), outcomes: Bool) -> SQLQueryString {
        var q = SQLQueryString("")
        func rangeCondition(_ column: String) {
            if let lower = range.0 {
                q.appendLiteral(" AND \(column) >= ")
                q.appendInterpolation(bind: lower)
            }
            if let upper = range.1 {
                q.appendLiteral(" AND \(column) < ")
                q.appendInterpolation(bind: upper)
            }
        }
        /// The position of a variant among the experiment's, `otherwise` when unlisted (NULL stays NULL).
        func code(_ column: String, otherwise: Int) -> SQLQueryString {
            var c = SQLQueryString("(CASE WHEN \(unsafeRaw: column) IS NULL THEN NULL")
            for (i, name) in variants.enumerated() {
                c.appendLiteral(" WHEN \(column) = ")
                c.appendInterpolation(bind: name)
                c.appendLiteral(" THEN \(i)")
            }
            c.appendLiteral(" ELSE \(otherwise) END)")
            return c
        }
        q.appendLiteral(
            "WITH x AS (SELECT start_at, end_at, CAST(conversion_window_days AS BIGINT) * 86400000000 AS window_us FROM experiments WHERE id = ")
        q.appendInterpolation(bind: experimentID)
        q.appendLiteral("), ea AS (")
        q.appendLiteral("SELECT profile_id, MIN(exposure_ts) AS first_at, MIN(")
        q += code("variant", otherwise: -1)
        q.appendLiteral(") AS lo, MAX(")
        q += code("variant", otherwise: -1)
        q.appendLiteral(") AS hi FROM experiment_exposures WHERE experiment_id = ")
        q.appendInterpolation(bind: experimentID)
        if outcomes {
            // Only the units of this range that have an outcome.
            q.appendLiteral(" AND profile_id IN (SELECT profile_id FROM experiment_outcomes WHERE experiment_id = ")
            q.appendInterpolation(bind: experimentID)
            appendMetricCondition(to: &q)
            rangeCondition("profile_id")
            q.appendLiteral(")")
        } else {
            rangeCondition("profile_id")
        }
        q.appendLiteral(" GROUP BY profile_id)\n")
        // Valid: every logged variant is the assigned one, and the first exposure is after the
        // assignment and inside the experiment's dates (the general query's statuses, in order).
        var valid = SQLQueryString("(ea.hi IS NULL OR (ea.lo = ea.hi AND ea.hi = ") + code("a.variant", otherwise: -2)
        valid.appendLiteral(
            ")) AND ea.first_at >= a.assigned_at AND (x.start_at IS NULL OR ea.first_at >= x.start_at) AND (x.end_at IS NULL OR ea.first_at <= x.end_at)"
        )
        if !outcomes {
            q.appendLiteral("SELECT ")
            for (i, name) in variants.enumerated() {
                q.appendLiteral("SUM(CASE WHEN a.variant = ")
                q.appendInterpolation(bind: name)
                q.appendLiteral(" AND ")
                q += valid
                q.appendLiteral(" THEN 1 ELSE 0 END) AS u\(i), ")
            }
            q.appendLiteral("SUM(CASE WHEN ")
            q += code("a.variant", otherwise: -2)
            q.appendLiteral(" = -2 THEN 1 ELSE 0 END) AS unlisted FROM ea CROSS JOIN x JOIN experiment_assignments a ON a.experiment_id = ")
            q.appendInterpolation(bind: experimentID)
            q.appendLiteral(" AND a.profile_id = ea.profile_id")
            // The range again on the assignments, so an engine that merges the two ordered
            // inputs reads only this range of the key.
            rangeCondition("a.profile_id")
            return q
        }
        let inWindow = "o.conversion_ts >= ea.first_at AND (x.window_us = 0 OR o.conversion_ts < ea.first_at + x.window_us)"
        let double = dialect.doubleType
        q.appendLiteral(
            """
            , t AS (SELECT MAX(a.variant) AS variant, MAX(CASE WHEN \(inWindow) THEN 1 ELSE 0 END) AS converted,
                CAST(SUM(CASE WHEN \(inWindow) THEN COALESCE(o.value, 0) ELSE 0 END) AS \(double)) AS value
              FROM experiment_outcomes o CROSS JOIN x
              JOIN experiment_assignments a ON a.experiment_id = o.experiment_id AND a.profile_id = o.profile_id
              JOIN ea ON ea.profile_id = o.profile_id
              WHERE o.experiment_id = 
            """)
        q.appendInterpolation(bind: experimentID)
        appendMetricCondition(to: &q, column: "o.metric")
        rangeCondition("o.profile_id")
        q.appendLiteral(" AND ")
        q += valid
        let value = Self.capped("t.value", at: cap)
        // Conditional sums per variant rather than GROUP BY: no sort or hash of the units.
        q.appendLiteral(" GROUP BY o.profile_id)\nSELECT ")
        for (i, name) in variants.enumerated() {
            for (j, (column, expression)) in [("t", "1"), ("c", "t.converted"), ("s", value), ("q", "\(value) * \(value)")].enumerated() {
                q.appendLiteral(i + j == 0 ? "SUM(CASE WHEN t.variant = " : ", SUM(CASE WHEN t.variant = ")
                q.appendInterpolation(bind: name)
                q.appendLiteral(" THEN \(expression) ELSE 0 END) AS \(column)\(i)")
            }
        }
        q.appendLiteral(" FROM t")
        return q
    }
}
