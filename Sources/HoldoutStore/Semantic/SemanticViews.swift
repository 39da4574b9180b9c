import Foundation
import HoldoutModel

/// Migration 8: seed 003's semantic views (``SemanticContract``), the same on both engines.
///
/// Every view reads the experiments of one tenant (``StoreDialect/viewTenant``) and is live: it
/// computes from the assignments, exposures, outcomes and events at query time, with the SQL of
/// the store's analytics (`AnalyticsQueries`) spread over all of a tenant's experiments.
///
/// The views use subqueries, never CTEs: SQLite's authorizer attributes a read inside a CTE to
/// the CTE's name, not the view's, and the guarded runner's authorizer admits a read from
/// inside a view only when it is one the view itself makes.
///
/// Neither engine has the normal or chi-squared distribution functions in SQL (PostgreSQL 15 has
/// no `erf`; SQLite's math functions stop at `exp`), so the p-values use the complementary error
/// function in Chebyshev form (Numerical Recipes `erfcc`, fractional error below 1.2 × 10⁻⁷
/// everywhere) and the chi-squared survival function in closed form for 1–6 degrees of freedom.
/// The tests compare them with HoldoutStats to 10⁻⁶ (relative).
enum SemanticViews {
    static let names = SemanticContract.assets.map(\.name)

    static func statements(_ d: any StoreDialect) -> [String] {
        [validation(d), cohort(), byVariant(d), results(d), qualityDaily(d), allowedAssets()]
    }

    /// erfc(x) for a non-negative column `x`, `t` being the column 1 / (1 + x / 2).
    /// Hand-written: neither engine has it (see the type's comment); 0 past x = 26, where it is
    /// below 10⁻²⁹⁵ and PostgreSQL's `exp` would report an underflow.
    static func erfc(_ x: String, _ t: String) -> String {
        let coefficients = [-1.26551223, 1.00002368, 0.37409196, 0.09678418, -0.18628806, 0.27886807, -1.13520398, 1.48851587, -0.82215223, 0.17087277]
        var poly = "\(coefficients.last!)"
        for c in coefficients.dropLast().dropFirst().reversed() { poly = "\(c) + \(t) * (\(poly))" }
        return "(CASE WHEN \(x) > 26 THEN 0.0 ELSE \(t) * exp(-\(x) * \(x) + \(coefficients[0]) + \(t) * (\(poly))) END)"
    }

    static func validation(_ d: any StoreDialect) -> String {
        let eventExperiment = d.jsonText("ev.properties", key: "experiment_id")
        let eventVariant = d.jsonText("ev.properties", key: "variant")
        let tenant = d.viewTenant
        return """
            CREATE VIEW int_experiment_exposure_validation AS
            SELECT x.key AS experiment_id, a.profile_id AS unit_id, a.variant AS assigned_variant_id, a.assigned_at, e.first_exposure_at,
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
            JOIN experiments x ON x.id = a.experiment_id AND x.tenant = \(tenant)
            LEFT JOIN (
                SELECT experiment_id, profile_id, MIN(exposure_ts) AS first_exposure_at, MIN(variant) AS min_variant,
                    MAX(variant) AS logged_variant
                FROM (
                    SELECT ee.experiment_id, ee.profile_id, ee.exposure_ts, ee.variant
                    FROM experiment_exposures ee JOIN experiments xt ON xt.id = ee.experiment_id AND xt.tenant = \(tenant)
                    UNION ALL
                    SELECT xe.id, ev.profile_id, ev.ts, \(eventVariant) FROM experiments xe JOIN events ev
                        ON ev.event_name = '\(ExposureEvent.name)' AND \(eventExperiment) = xe.key
                    WHERE xe.tenant = \(tenant)
                ) all_exposures
                GROUP BY experiment_id, profile_id
            ) e ON e.experiment_id = a.experiment_id AND e.profile_id = a.profile_id
            """
    }

    static func cohort() -> String {
        """
        CREATE VIEW fct_experiment_cohort AS
        SELECT experiment_id, unit_id, assigned_variant_id AS variation_id, assigned_at,
            CASE WHEN first_exposure_at IS NULL THEN 0 ELSE 1 END AS is_exposed, first_exposure_at, validation_status
        FROM int_experiment_exposure_validation
        """
    }

    static func byVariant(_ d: any StoreDialect) -> String {
        let inWindow = "o.conversion_ts >= c.anchor AND (xw.window_us = 0 OR o.conversion_ts < c.anchor + xw.window_us)"
        let tenant = d.viewTenant
        return """
            CREATE VIEW agg_experiment_metric_by_variant AS
            SELECT x.key AS experiment_id, m.analysis_mode, 'conversion' AS metric_id, v.name AS variation_id,
                CAST(COALESCE(p.n_users, 0) AS BIGINT) AS n_users, CAST(COALESCE(p.n_converted, 0) AS BIGINT) AS n_converted,
                CASE WHEN COALESCE(p.n_users, 0) > 0 THEN CAST(p.n_converted AS DOUBLE PRECISION) / p.n_users ELSE 0.0 END AS conversion_rate,
                CAST(COALESCE(p.total_value, 0) AS DOUBLE PRECISION) AS total_value
            FROM experiments x
            JOIN experiment_variants v ON v.experiment_id = x.id
            CROSS JOIN (SELECT 'itt' AS analysis_mode UNION ALL SELECT 'exposure') m
            LEFT JOIN (
                SELECT analysis_mode, experiment_id, variant, COUNT(*) AS n_users, SUM(converted) AS n_converted, SUM(value) AS total_value
                FROM (
                    SELECT c.analysis_mode, c.experiment_id, c.profile_id, MAX(c.variant) AS variant,
                        MAX(CASE WHEN \(inWindow) THEN 1 ELSE 0 END) AS converted,
                        SUM(CASE WHEN \(inWindow) THEN COALESCE(o.value, 0) ELSE 0 END) AS value
                    FROM (
                        SELECT 'itt' AS analysis_mode, a.experiment_id, a.profile_id, a.variant, a.assigned_at AS anchor
                        FROM experiment_assignments a JOIN experiments xa ON xa.id = a.experiment_id AND xa.tenant = \(tenant)
                        UNION ALL
                        SELECT 'exposure', xv.id, iv.unit_id, iv.assigned_variant_id, iv.first_exposure_at
                        FROM int_experiment_exposure_validation iv JOIN experiments xv ON xv.key = iv.experiment_id
                        WHERE iv.validation_status = 'valid'
                    ) c
                    JOIN (SELECT id, CAST(conversion_window_days AS BIGINT) * 86400000000 AS window_us FROM experiments) xw ON xw.id = c.experiment_id
                    LEFT JOIN (
                        SELECT oo.experiment_id, oo.profile_id, oo.conversion_ts, oo.value
                        FROM experiment_outcomes oo JOIN experiments xo ON xo.id = oo.experiment_id AND xo.tenant = \(tenant)
                        WHERE oo.metric = ''
                        UNION ALL
                        SELECT xe.id, ev.profile_id, ev.ts, ev.value FROM experiments xe JOIN events ev
                            ON xe.conversion_key IS NOT NULL AND ev.event_name = xe.conversion_key
                        WHERE xe.tenant = \(tenant)
                    ) o ON o.experiment_id = c.experiment_id AND o.profile_id = c.profile_id
                    GROUP BY c.analysis_mode, c.experiment_id, c.profile_id
                ) u
                GROUP BY analysis_mode, experiment_id, variant
            ) p ON p.analysis_mode = m.analysis_mode AND p.experiment_id = x.id AND p.variant = v.name
            WHERE x.tenant = \(tenant)
            """
    }

    static func results(_ d: any StoreDialect) -> String {
        // The same arithmetic, in the same order, as HoldoutStats' ProportionTest. The control's
        // counts come to each row through a window over the variants (the aggregate view is read
        // once, not joined to itself).
        """
        CREATE VIEW fct_experiment_results AS
        SELECT experiment_id, analysis_mode, metric_id, variation_id, is_control, n_users, n_converted, conversion_rate,
            CASE WHEN compared = 1 THEN pt - pc END AS uplift_abs,
            CASE WHEN compared = 1 AND pooled_se > 0 AND pc > 0 THEN (pt - pc) / abs(pc) END AS uplift_rel,
            CASE WHEN compared = 1 AND pooled_se > 0 THEN \(erfc("zx", "zt")) END AS p_value_two_sided,
            CASE WHEN compared = 1 AND pooled_se > 0 AND wald_se > 0 THEN (pt - pc) - 1.959963984540054 * wald_se END AS ci_low,
            CASE WHEN compared = 1 AND pooled_se > 0 AND wald_se > 0 THEN (pt - pc) + 1.959963984540054 * wald_se END AS ci_high,
            \(d.nowMicroseconds) AS computed_at
        FROM (
            SELECT z.*, 1.0 / (1.0 + 0.5 * zx) AS zt
            FROM (
                SELECT e.*, CASE WHEN pooled_se > 0 THEN abs((pt - pc) / pooled_se) / sqrt(2.0) ELSE 0.0 END AS zx
                FROM (
                    SELECT p.*, CASE WHEN is_control = 0 AND nt > 0 AND nc > 0 THEN 1 ELSE 0 END AS compared,
                        CASE WHEN is_control = 0 AND nt > 0 AND nc > 0 THEN sqrt(pooled * (1 - pooled) * (1 / nc + 1 / nt)) ELSE 0.0 END AS pooled_se,
                        CASE WHEN is_control = 0 AND nt > 0 AND nc > 0 THEN sqrt(pc * (1 - pc) / nc + pt * (1 - pt) / nt) ELSE 0.0 END AS wald_se
                    FROM (
                        SELECT experiment_id, analysis_mode, metric_id, variation_id, is_control, n_users, n_converted, conversion_rate,
                            CAST(n_users AS DOUBLE PRECISION) AS nt, CAST(k_users AS DOUBLE PRECISION) AS nc, conversion_rate AS pt, k_rate AS pc,
                            CASE WHEN n_users > 0 AND k_users > 0
                                THEN CAST(k_converted + n_converted AS DOUBLE PRECISION)
                                    / (CAST(k_users AS DOUBLE PRECISION) + CAST(n_users AS DOUBLE PRECISION))
                                ELSE 0.0 END AS pooled
                        FROM (
                            SELECT t.experiment_id, t.analysis_mode, t.metric_id, t.variation_id,
                                CASE WHEN t.variation_id = c.name THEN 1 ELSE 0 END AS is_control, t.n_users, t.n_converted, t.conversion_rate,
                                MAX(CASE WHEN t.variation_id = c.name THEN t.n_users END) OVER w AS k_users,
                                MAX(CASE WHEN t.variation_id = c.name THEN t.n_converted END) OVER w AS k_converted,
                                MAX(CASE WHEN t.variation_id = c.name THEN t.conversion_rate END) OVER w AS k_rate
                            FROM agg_experiment_metric_by_variant t
                            JOIN (
                                SELECT x.key AS experiment_id, v.name FROM experiments x JOIN experiment_variants v ON v.experiment_id = x.id
                                WHERE x.tenant = \(d.viewTenant)
                                    AND v.position = (SELECT MIN(m.position) FROM experiment_variants m WHERE m.experiment_id = x.id)
                            ) c ON c.experiment_id = t.experiment_id
                            WINDOW w AS (PARTITION BY t.experiment_id, t.analysis_mode, t.metric_id)
                        ) tk
                    ) p
                ) e
            ) z
        ) zs
        """
    }

    static func qualityDaily(_ d: any StoreDialect) -> String {
        let day = d.floorDivide("assigned_at", "86400000000")
        let validation =
            "(SELECT experiment_id, \(day) AS day, assigned_variant_id, validation_status FROM int_experiment_exposure_validation)"
        let e = "(CASE WHEN q > 700 THEN 0.0 ELSE exp(-q) END)"
        let tail = "(1.1283791670955126 * r * \(e))"  // √(2x/π)·e^(−x/2) = (2/√π)·√(x/2)·e^(−x/2)
        let erfcR = erfc("r", "rt")
        return """
            CREATE VIEW fct_experiment_exposure_quality_daily AS
            SELECT d.experiment_id, \(d.utcDay("d.day")) AS date_day, CAST(d.n_assigned AS BIGINT) AS n_assigned,
                CAST(d.n_exposed AS BIGINT) AS n_exposures, CAST(d.n_exposed - d.n_valid AS BIGINT) AS n_invalid,
                CAST(d.n_exposed AS DOUBLE PRECISION) / d.n_assigned AS exposure_rate,
                CAST(d.n_valid AS DOUBLE PRECISION) / d.n_assigned AS valid_exposure_rate,
                CASE WHEN d.n_exposed > 0 THEN CAST(d.n_mismatch AS DOUBLE PRECISION) / d.n_exposed ELSE 0.0 END AS mismatch_rate,
                s.p AS srm_p_value
            FROM (
                SELECT experiment_id, day, COUNT(*) AS n_assigned,
                    SUM(CASE WHEN validation_status <> 'no_exposure' THEN 1 ELSE 0 END) AS n_exposed,
                    SUM(CASE WHEN validation_status = 'valid' THEN 1 ELSE 0 END) AS n_valid,
                    SUM(CASE WHEN validation_status IN ('variant_mismatch', 'multi_variation_exposure') THEN 1 ELSE 0 END) AS n_mismatch
                FROM \(validation) v0
                GROUP BY experiment_id, day
            ) d
            LEFT JOIN (
                SELECT experiment_id, day,
                    CASE k
                        WHEN 2 THEN \(erfcR)
                        WHEN 3 THEN \(e)
                        WHEN 4 THEN \(erfcR) + \(tail)
                        WHEN 5 THEN \(e) * (1 + q)
                        WHEN 6 THEN \(erfcR) + \(tail) * (1 + 2 * q / 3)
                        WHEN 7 THEN \(e) * (1 + q + q * q / 2)
                        WHEN 8 THEN \(erfcR) + \(tail) * (1 + 2 * q / 3 + 4 * q * q / 15)
                    END AS p
                FROM (
                    SELECT h.*, 1.0 / (1.0 + 0.5 * r) AS rt
                    FROM (
                        SELECT experiment_id, day, k, chi2 / 2 AS q, sqrt(chi2 / 2) AS r
                        FROM (
                            SELECT experiment_id, day, k, SUM((observed - n * weight) * (observed - n * weight) / (n * weight)) AS chi2
                            FROM (
                                SELECT c.*, SUM(c.observed) OVER (PARTITION BY c.experiment_id, c.day) AS n,
                                    COUNT(*) OVER (PARTITION BY c.experiment_id, c.day) AS k
                                FROM (
                                    SELECT dd.experiment_id, dd.day, w.position, w.weight, COUNT(vv.assigned_variant_id) AS observed
                                    FROM (SELECT DISTINCT experiment_id, day FROM \(validation) v1) dd
                                    JOIN experiments x ON x.key = dd.experiment_id AND x.tenant = \(d.viewTenant)
                                    JOIN experiment_variants w ON w.experiment_id = x.id
                                    LEFT JOIN \(validation) vv
                                        ON vv.experiment_id = dd.experiment_id AND vv.day = dd.day AND vv.assigned_variant_id = w.name
                                    GROUP BY dd.experiment_id, dd.day, w.position, w.weight
                                ) c
                            ) cn
                            WHERE n > 0
                            GROUP BY experiment_id, day, k
                        ) chi
                    ) h
                ) hs
            ) s ON s.experiment_id = d.experiment_id AND s.day = d.day
            """
    }

    /// SQL text literal.
    static func quoted(_ text: String) -> String { "'" + text.replacingOccurrences(of: "'", with: "''") + "'" }

    /// The contract's columns as JSON, `[{"description", "name", "type"}]` (sorted keys).
    static func columnsJSON(_ asset: SemanticContract.Asset) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(asset.columns)).flatMap { String(data: $0, encoding: .utf8) } ?? "[]"
    }

    static func allowedAssets() -> String {
        let rows = SemanticContract.assets.map { a in
            "SELECT \(quoted(a.name)) AS asset_name, \(quoted(a.grain)) AS grain, \(quoted(a.primaryKeys.joined(separator: ", "))) AS primary_keys, "
                + "\(quoted(a.description)) AS description, \(quoted(columnsJSON(a))) AS columns"
        }
        return "CREATE VIEW dim_ai_allowed_assets AS\n" + rows.joined(separator: "\nUNION ALL\n")
    }
}
