package import HoldoutModel
package import SQLKit

// MARK: Per-variant statistics

extension AnalyticsQueries {
    /// Per-variant (and per-segment) sufficient statistics through one row per cohort unit: the
    /// general form, for covariates (CUPED sums) and segments.
    ///
    /// Columns `variant`, `segment` (with `segmentBy`), `units`, `converters`, `sum_value`,
    /// `sum_value_sq`, and for covariate i (j ≥ i) `sx<i>`, `sxy<i>`, `sxx<i>_<j>`.
    ///
    /// - Parameters:
    ///   - cap: the winsorizing cap of per-unit values, already computed (nil: none).
    ///   - segmentBy: a property name in `unit_properties` (units without it: `(none)`).
    package func variantStatistics(
        experimentID: Int64, mode: AnalysisMode, covariates: [String], cap: Double?, segmentBy: String?
    ) -> SQLQueryString {
        var query = SQLQueryString("")
        appendUnitOutcomeCTEs(to: &query, experimentID: experimentID, mode: mode, covariates: covariates)
        let value = Self.capped("u.value", at: cap)
        var select =
            "SELECT u.variant, \(segmentBy == nil ? "" : "COALESCE(p.value, '(none)') AS segment, ")COUNT(*) AS units, SUM(u.converted) AS converters, SUM(\(value)) AS sum_value, SUM(\(value) * \(value)) AS sum_value_sq"
        let k = covariates.count
        for i in 0..<k {
            select += ", SUM(u.c\(i)) AS sx\(i), SUM(u.c\(i) * \(value)) AS sxy\(i)"
            for j in i..<k { select += ", SUM(u.c\(i) * u.c\(j)) AS sxx\(i)_\(j)" }
        }
        if let segmentBy {
            query.appendLiteral(select + " FROM unit_outcomes u LEFT JOIN unit_properties p ON p.profile_id = u.profile_id AND p.name = ")
            query.appendInterpolation(bind: segmentBy)
            query.appendLiteral(" GROUP BY u.variant, COALESCE(p.value, '(none)') ORDER BY u.variant, segment")
        } else {
            query.appendLiteral(select + " FROM unit_outcomes u GROUP BY u.variant ORDER BY u.variant")
        }
        return query
    }

    /// Per-variant statistics from the cohort's size per variant and sums over the units that
    /// have an outcome (see ``Store/sparseVariantStatistics(experimentID:mode:cap:)``).
    ///
    /// Columns `variant`, `units`, `total` (the cohort's size; 0 without `variants`), `touched`
    /// (units with an outcome row), `converters`, `sum_value`, `sum_value_sq` (over touched units).
    ///
    /// - Parameter variants: the experiment's variants, counted by one conditional sum each (a
    ///   plain scan); nil groups the cohort by variant instead.
    package func sparseVariantStatistics(experimentID: Int64, mode: AnalysisMode, cap: Double?, variants: [String]?) -> SQLQueryString {
        var query = SQLQueryString("")
        appendOutcomeAndCohortCTEs(to: &query, experimentID: experimentID, mode: mode)
        let value = Self.capped("t.value", at: cap)
        let double = dialect.doubleType
        query.appendLiteral(
            """
            , touched AS (
                SELECT c.variant,
                    MAX(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN 1 ELSE 0 END) AS converted,
                    CAST(SUM(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN COALESCE(o.value, 0) ELSE 0 END) AS \(double)) AS value
                FROM all_outcomes o
                CROSS JOIN cohort c
                CROSS JOIN x
                WHERE c.profile_id = o.profile_id
                GROUP BY o.profile_id, c.variant)
            , touched_variants AS (
                SELECT t.variant, COUNT(*) AS touched, SUM(t.converted) AS converters, SUM(\(value)) AS sum_value, SUM(\(value) * \(value)) AS sum_value_sq
                FROM touched t GROUP BY t.variant)

            """)
        if let variants {
            query.appendLiteral(", units AS (SELECT COUNT(*) AS total")
            for (i, name) in variants.enumerated() {
                query.appendLiteral(", SUM(CASE WHEN variant = ")
                query.appendInterpolation(bind: name)
                query.appendLiteral(" THEN 1 ELSE 0 END) AS u\(i)")
            }
            query.appendLiteral(" FROM cohort)\nSELECT v.variant, CAST(v.units AS BIGINT) AS units, CAST(v.total AS BIGINT) AS total")
            query.appendLiteral(
                ", CAST(COALESCE(t.touched, 0) AS BIGINT) AS touched, CAST(COALESCE(t.converters, 0) AS BIGINT) AS converters, t.sum_value, t.sum_value_sq FROM ("
            )
            for (i, name) in variants.enumerated() {
                query.appendLiteral(i == 0 ? "SELECT " : " UNION ALL SELECT ")
                query.appendInterpolation(bind: name)
                query.appendLiteral(" AS variant, u\(i) AS units, total FROM units")
            }
            query.appendLiteral(") v LEFT JOIN touched_variants t ON t.variant = v.variant ORDER BY v.variant")
        } else {
            query.appendLiteral(
                """
                , cohort_variants AS (SELECT variant, COUNT(*) AS units FROM cohort GROUP BY variant)
                SELECT v.variant, CAST(v.units AS BIGINT) AS units, CAST(0 AS BIGINT) AS total, CAST(COALESCE(t.touched, 0) AS BIGINT) AS touched,
                    CAST(COALESCE(t.converters, 0) AS BIGINT) AS converters, t.sum_value, t.sum_value_sq
                FROM cohort_variants v LEFT JOIN touched_variants t ON t.variant = v.variant ORDER BY v.variant
                """)
        }
        return query
    }

    /// The number of units in the cohort of `mode` (column `n`).
    package func cohortSize(experimentID: Int64, mode: AnalysisMode) -> SQLQueryString {
        var query = SQLQueryString("")
        appendUnitOutcomeCTEs(to: &query, experimentID: experimentID, mode: mode, covariates: [])
        query.appendLiteral("SELECT COUNT(*) AS n FROM unit_outcomes")
        return query
    }

    /// The `rank`-th smallest per-unit value of the cohort (1-based; column `value`).
    package func unitValue(experimentID: Int64, mode: AnalysisMode, rank: Int) -> SQLQueryString {
        var query = SQLQueryString("")
        appendUnitOutcomeCTEs(to: &query, experimentID: experimentID, mode: mode, covariates: [])
        query.appendLiteral("SELECT value FROM unit_outcomes ORDER BY value LIMIT 1 OFFSET \(rank - 1)")
        return query
    }

    /// The CTEs through `cohort` (profile, variant, anchor) alone, ending in a newline: what
    /// every statistics query of `mode` starts with.
    package func cohortCTEs(experimentID: Int64, mode: AnalysisMode) -> SQLQueryString {
        var query = SQLQueryString("")
        appendOutcomeAndCohortCTEs(to: &query, experimentID: experimentID, mode: mode)
        return query
    }

    /// Appends the CTEs through `unit_outcomes` (variant, converted, value, c0…c(k−1) per unit).
    func appendUnitOutcomeCTEs(to query: inout SQLQueryString, experimentID: Int64, mode: AnalysisMode, covariates: [String]) {
        appendOutcomeAndCohortCTEs(to: &query, experimentID: experimentID, mode: mode)
        let double = dialect.doubleType
        query.appendLiteral(
            """
            , outcome_units AS (
                SELECT c.profile_id, MAX(c.variant) AS variant,
                    MAX(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN 1 ELSE 0 END) AS converted,
                    SUM(CASE WHEN o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us) THEN COALESCE(o.value, 0) ELSE 0 END) AS value
                FROM cohort c
                CROSS JOIN x
                LEFT JOIN all_outcomes o ON o.profile_id = c.profile_id
                GROUP BY c.profile_id)

            """)
        if covariates.isEmpty {
            query.appendLiteral(", unit_outcomes AS (SELECT profile_id, variant, converted, CAST(value AS \(double)) AS value FROM outcome_units)\n")
            return
        }
        var pivot = ", unit_outcomes AS (SELECT ou.profile_id, ou.variant, ou.converted, CAST(ou.value AS \(double)) AS value"
        for i in covariates.indices {
            pivot += ", COALESCE(MAX(CASE WHEN uc.name = "
            query.appendLiteral(pivot)
            query.appendInterpolation(bind: covariates[i])
            pivot = " THEN uc.value END), 0) AS c\(i)"
        }
        query.appendLiteral(pivot + " FROM outcome_units ou LEFT JOIN unit_covariates uc ON uc.experiment_id = ")
        query.appendInterpolation(bind: experimentID)
        query.appendLiteral(" AND uc.profile_id = ou.profile_id GROUP BY ou.profile_id, ou.variant, ou.converted, ou.value)\n")
    }

    /// Appends `x`, the validation CTEs (exposure mode), `all_outcomes` and `cohort` (profile,
    /// variant, anchor).
    func appendOutcomeAndCohortCTEs(to query: inout SQLQueryString, experimentID: Int64, mode: AnalysisMode) {
        // ITT takes every assigned unit from its assignment: no exposure validation needed.
        appendValidationCTEs(to: &query, experimentID: experimentID, validation: mode == .exposure)
        query.appendLiteral(
            """
            , all_outcomes AS (
                SELECT profile_id, conversion_ts, value FROM experiment_outcomes WHERE experiment_id = 
            """)
        query.appendInterpolation(bind: experimentID)
        appendMetricCondition(to: &query)
        // Conversions: outcomes recorded for the experiment's metric, plus, for its default
        // metric, events named like its conversion_key (seed 003's stg_conversion_events).
        if metric.isEmpty {
            query.appendLiteral(
                """

                    UNION ALL
                    SELECT ev.profile_id, ev.ts, ev.value FROM x CROSS JOIN events ev
                    WHERE x.conversion_key IS NOT NULL AND ev.event_name = x.conversion_key
                """)
        }
        query.appendLiteral("\n)\n")
        if mode == .itt {
            // Not materialized: referenced twice, it is still a plain scan (or index lookup) of
            // the assignments, which a materialized copy of every unit would only slow down.
            let inline = dialect.inlineCommonTableExpression.map { "\($0) " } ?? ""
            query.appendLiteral(", cohort AS \(inline)(SELECT profile_id, variant, assigned_at AS anchor FROM experiment_assignments WHERE experiment_id = ")
            query.appendInterpolation(bind: experimentID)
            query.appendLiteral(")\n")
        } else {
            query.appendLiteral(", cohort AS (SELECT profile_id, variant, first_exposure_at AS anchor FROM validation WHERE validation_status = 'valid')\n")
        }
    }
}

// MARK: Outcomes not counted

extension AnalyticsQueries {
    /// The experiment's outcome rows (recorded outcomes and conversion events) that the results
    /// in `mode` do not count, by reason (see ``Store/outcomesNotCounted(experimentID:mode:)``):
    /// columns `unassigned`, `not_exposed`, `outside_dates`, `before_anchor`, `after_window`.
    package func outcomesNotCounted(experimentID: Int64, mode: AnalysisMode, exposureEvents: Bool = true) -> SQLQueryString {
        var q = SQLQueryString("")
        appendValidationCTEs(to: &q, experimentID: experimentID, validation: false)
        q.appendLiteral(", all_outcomes AS (SELECT profile_id, conversion_ts FROM experiment_outcomes WHERE experiment_id = ")
        q.appendInterpolation(bind: experimentID)
        appendMetricCondition(to: &q)
        if metric.isEmpty {
            q.appendLiteral(
                """

                    UNION ALL
                    SELECT ev.profile_id, ev.ts FROM x CROSS JOIN events ev
                    WHERE x.conversion_key IS NOT NULL AND ev.event_name = x.conversion_key
                """)
        }
        q.appendLiteral(")\n")
        let eventExperiment = dialect.jsonText("ev.properties", key: "experiment_id")
        let eventVariant = dialect.jsonText("ev.properties", key: "variant")
        if mode == .exposure {
            if exposureEvents {
                q.appendLiteral(", ea AS (SELECT profile_id, MIN(exposure_ts) AS first_at, MIN(variant) AS lo, MAX(variant) AS hi FROM (")
                q.appendLiteral("SELECT profile_id, exposure_ts, variant FROM experiment_exposures WHERE experiment_id = ")
                q.appendInterpolation(bind: experimentID)
                q.appendLiteral(" AND profile_id IN (SELECT profile_id FROM all_outcomes)")
                q.appendLiteral(
                    " UNION ALL SELECT ev.profile_id, ev.ts, \(eventVariant) FROM x CROSS JOIN events ev WHERE ev.event_name = '\(ExposureEvent.name)' AND \(eventExperiment) = x.key"
                )
                q.appendLiteral(") e GROUP BY profile_id)\n")
            } else {
                // Recorded exposures only: grouped straight from the unit index, in order.
                q.appendLiteral(
                    ", ea AS (SELECT profile_id, MIN(exposure_ts) AS first_at, MIN(variant) AS lo, MAX(variant) AS hi FROM experiment_exposures WHERE experiment_id = "
                )
                q.appendInterpolation(bind: experimentID)
                q.appendLiteral(" AND profile_id IN (SELECT profile_id FROM all_outcomes) GROUP BY profile_id)\n")
            }
        }
        let anchor = mode == .exposure ? "ea.first_at" : "a.assigned_at"
        let inCohort =
            mode == .exposure
            ? "(ea.profile_id IS NOT NULL AND (ea.hi IS NULL OR (ea.lo = ea.hi AND ea.hi = a.variant)) AND ea.first_at >= a.assigned_at AND (x.start_at IS NULL OR ea.first_at >= x.start_at) AND (x.end_at IS NULL OR ea.first_at <= x.end_at))"
            : "1 = 1"
        let counted = "(o.conversion_ts >= \(anchor) AND (x.window_us = 0 OR o.conversion_ts < \(anchor) + x.window_us))"
        let outside = "((x.start_at IS NOT NULL AND o.conversion_ts < x.start_at) OR (x.end_at IS NOT NULL AND o.conversion_ts > x.end_at + x.window_us))"
        q.appendLiteral(
            """
            SELECT
                SUM(CASE WHEN a.profile_id IS NULL THEN 1 ELSE 0 END) AS unassigned,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND NOT \(inCohort) THEN 1 ELSE 0 END) AS not_exposed,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND \(inCohort) AND NOT \(counted) AND \(outside) THEN 1 ELSE 0 END) AS outside_dates,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND \(inCohort) AND NOT \(counted) AND NOT \(outside) AND o.conversion_ts < \(anchor) THEN 1 ELSE 0 END) AS before_anchor,
                SUM(CASE WHEN a.profile_id IS NOT NULL AND \(inCohort) AND NOT \(counted) AND NOT \(outside) AND o.conversion_ts >= \(anchor) THEN 1 ELSE 0 END) AS after_window
            FROM all_outcomes o CROSS JOIN x
            LEFT JOIN experiment_assignments a ON a.experiment_id = 
            """)
        q.appendInterpolation(bind: experimentID)
        q.appendLiteral(" AND a.profile_id = o.profile_id")
        if mode == .exposure { q.appendLiteral(" LEFT JOIN ea ON ea.profile_id = o.profile_id") }
        return q
    }
}

extension AnalyticsQueries {
    /// The experiment's exposure rows whose unit exposure-based results leave out, by the unit's
    /// validation status (see ``Store/exposuresNotCounted(experimentID:)``): one pass over the
    /// exposures grouped by unit, each unit looked up in the assignments.
    package func exposuresNotCounted(experimentID: Int64, exposureEvents: Bool = true) -> SQLQueryString {
        var q = SQLQueryString("")
        appendValidationCTEs(to: &q, experimentID: experimentID, validation: false)
        let eventExperiment = dialect.jsonText("ev.properties", key: "experiment_id")
        let eventVariant = dialect.jsonText("ev.properties", key: "variant")
        if exposureEvents {
            q.appendLiteral(", ea AS (SELECT profile_id, COUNT(*) AS n, MIN(exposure_ts) AS first_at, MIN(variant) AS lo, MAX(variant) AS hi FROM (")
            q.appendLiteral("SELECT profile_id, exposure_ts, variant FROM experiment_exposures WHERE experiment_id = ")
            q.appendInterpolation(bind: experimentID)
            q.appendLiteral(
                " UNION ALL SELECT ev.profile_id, ev.ts, \(eventVariant) FROM x CROSS JOIN events ev WHERE ev.event_name = '\(ExposureEvent.name)' AND \(eventExperiment) = x.key"
            )
            q.appendLiteral(") e GROUP BY profile_id)\n")
        } else {
            // Recorded exposures only: grouped straight from the unit index, in order.
            q.appendLiteral(
                ", ea AS (SELECT profile_id, COUNT(*) AS n, MIN(exposure_ts) AS first_at, MIN(variant) AS lo, MAX(variant) AS hi FROM experiment_exposures WHERE experiment_id = "
            )
            q.appendInterpolation(bind: experimentID)
            q.appendLiteral(" GROUP BY profile_id)\n")
        }
        q.appendLiteral(
            """
            SELECT
                CAST(SUM(CASE WHEN a.profile_id IS NULL THEN ea.n ELSE 0 END) AS BIGINT) AS unassigned,
                CAST(SUM(CASE WHEN a.profile_id IS NOT NULL AND ea.lo <> ea.hi THEN ea.n ELSE 0 END) AS BIGINT) AS multi,
                CAST(SUM(CASE WHEN a.profile_id IS NOT NULL AND NOT (ea.lo <> ea.hi) AND ea.hi IS NOT NULL AND ea.hi <> a.variant THEN ea.n ELSE 0 END) AS BIGINT) AS mismatch,
                CAST(SUM(CASE WHEN a.profile_id IS NOT NULL AND (ea.hi IS NULL OR (ea.lo = ea.hi AND ea.hi = a.variant)) AND ea.first_at < a.assigned_at THEN ea.n ELSE 0 END) AS BIGINT) AS pre,
                CAST(SUM(CASE WHEN a.profile_id IS NOT NULL AND (ea.hi IS NULL OR (ea.lo = ea.hi AND ea.hi = a.variant)) AND ea.first_at >= a.assigned_at
                    AND ((x.start_at IS NOT NULL AND ea.first_at < x.start_at) OR (x.end_at IS NOT NULL AND ea.first_at > x.end_at)) THEN ea.n ELSE 0 END) AS BIGINT) AS outside
            FROM ea CROSS JOIN x
            LEFT JOIN experiment_assignments a ON a.experiment_id = 
            """)
        q.appendInterpolation(bind: experimentID)
        q.appendLiteral(" AND a.profile_id = ea.profile_id")
        return q
    }
}

// MARK: Units for the analysis pipeline

extension AnalyticsQueries {
    /// The units of the cohort of `mode` that converted on the metric within their window
    /// (column `profile_id`), for a per-unit pass joined in the caller.
    package func convertedUnits(experimentID: Int64, mode: AnalysisMode) -> SQLQueryString {
        var query = SQLQueryString("")
        appendOutcomeAndCohortCTEs(to: &query, experimentID: experimentID, mode: mode)
        query.appendLiteral(
            """
            SELECT c.profile_id FROM all_outcomes o CROSS JOIN x JOIN cohort c ON c.profile_id = o.profile_id
            WHERE o.conversion_ts >= c.anchor AND (x.window_us = 0 OR o.conversion_ts < c.anchor + x.window_us)
            GROUP BY c.profile_id
            """)
        return query
    }

    /// Every assigned unit in key order with its variant and packed features (NULL without):
    /// columns `profile_id`, `variant`, `features`.
    package func assignedUnitsWithFeatures(experimentID: Int64) -> SQLQueryString {
        """
        SELECT a.profile_id, a.variant, f.features FROM experiment_assignments a
        LEFT JOIN unit_features f ON f.experiment_id = a.experiment_id AND f.profile_id = a.profile_id
        WHERE a.experiment_id = \(bind: experimentID) ORDER BY a.profile_id
        """
    }
}
