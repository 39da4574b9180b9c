import HoldoutSQLGuard
import Testing

/// Constructs of each engine the parser must accept; each query was checked to run on the engine
/// itself (PostgreSQL 15 with EXPLAIN, SQLite 3.40), with the views stood in for by tables.
@Suite("Grammar the parser covers")
struct GrammarTests {
    static let postgresQueries = [
        "SELECT experiment_id, variation_id, SUM(n_users) FROM agg_experiment_metric_by_variant GROUP BY GROUPING SETS ((experiment_id), (experiment_id, variation_id), ())",
        "SELECT experiment_id, variation_id, SUM(n_users) FROM agg_experiment_metric_by_variant GROUP BY ROLLUP (experiment_id, variation_id)",
        "SELECT experiment_id, variation_id, GROUPING(variation_id), SUM(n_users) FROM agg_experiment_metric_by_variant GROUP BY CUBE (experiment_id, variation_id)",
        "SELECT * FROM fct_experiment_results ORDER BY uplift_abs DESC NULLS LAST OFFSET 5 ROWS FETCH FIRST 10 ROWS ONLY",
        "SELECT DISTINCT ON (experiment_id) experiment_id, uplift_abs FROM fct_experiment_results ORDER BY experiment_id, uplift_abs DESC",
        "SELECT * FROM fct_experiment_results WHERE metric_id IS DISTINCT FROM 'x' AND variation_id ILIKE 'treat%' AND metric_id !~ '^tmp'",
        "SELECT SUM(n_users) OVER (ORDER BY n_users GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE CURRENT ROW) FROM agg_experiment_metric_by_variant",
        "SELECT r.metric_id, c.n FROM fct_experiment_results r CROSS JOIN LATERAL (SELECT COUNT(*) AS n FROM fct_experiment_cohort c WHERE c.experiment_id = r.experiment_id) c",
        "SELECT ARRAY(SELECT variation_id FROM fct_experiment_results) AS arms",
        "SELECT jsonb_build_object('arm', variation_id) -> 'arm', json_build_object('a', 1) ->> 'a' FROM fct_experiment_results",
        "SELECT CAST(uplift_abs AS double precision), n_users::bigint, '2026-01-01'::timestamptz, TIMESTAMP '2026-01-01 00:00:00' FROM fct_experiment_results",
        "SELECT mode() WITHIN GROUP (ORDER BY variation_id), percentile_disc(0.9) WITHIN GROUP (ORDER BY n_users) FROM fct_experiment_results",
        "SELECT bool_and(n_users > 0) FILTER (WHERE metric_id = 'x'), corr(uplift_abs, conversion_rate), stddev_samp(uplift_abs) FROM fct_experiment_results",
        "SELECT left(metric_id, 3), right(metric_id, 2), split_part(metric_id, '_', 1), strpos(metric_id, 'x'), concat_ws('-', metric_id, variation_id) FROM fct_experiment_results",
        "SELECT * FROM fct_experiment_results WHERE n_users > ALL (ARRAY[1, 2]) AND metric_id = ANY ('{a,b}'::text[])",
        "SELECT e'\\x41', U&'\\0041' UESCAPE '\\', $q$a$q$ FROM dim_ai_allowed_assets",
        "SELECT * FROM ONLY fct_experiment_results AS r (a, b)",
        "SELECT date_trunc('month', date_day)::date AS month, AVG(exposure_rate) FROM fct_experiment_exposure_quality_daily GROUP BY 1 HAVING AVG(exposure_rate) > 0.5 ORDER BY 1",
        "WITH x AS NOT MATERIALIZED (SELECT 1 AS a) SELECT a FROM x EXCEPT ALL SELECT 2 INTERSECT DISTINCT SELECT 3",
        "SELECT now() AT TIME ZONE 'UTC', EXTRACT(epoch FROM now()), (ARRAY[1, 2, 3])[1]",
    ]

    static let sqliteQueries = [
        "SELECT experiment_id, total(n_users), group_concat(DISTINCT variation_id) FROM agg_experiment_metric_by_variant GROUP BY experiment_id",
        "SELECT * FROM fct_experiment_results ORDER BY uplift_abs DESC NULLS LAST LIMIT 5, 10",
        "SELECT iif(uplift_abs > 0, 'up', 'down'), ifnull(ci_low, 0), instr(metric_id, '_'), typeof(n_users) FROM fct_experiment_results",
        "SELECT date(date_day, '+7 days'), julianday(date_day) - julianday('2026-01-01'), strftime('%W', date_day) FROM fct_experiment_exposure_quality_daily",
        "SELECT json_extract('{\"a\":1}', '$.a'), '{\"a\":1}' -> '$.a', '{\"a\":1}' ->> 'a'",
        "SELECT SUM(n_users) OVER (ORDER BY n_users GROUPS BETWEEN 1 PRECEDING AND 1 FOLLOWING EXCLUDE TIES) FROM agg_experiment_metric_by_variant",
        "SELECT * FROM fct_experiment_results WHERE metric_id GLOB 'conv*' AND variation_id NOT LIKE 'x%' ESCAPE '\\' AND ci_low NOTNULL AND ci_high IS NOT 0",
        "SELECT * FROM [fct_experiment_results] AS r JOIN `fct_experiment_cohort` c ON c.experiment_id = r.experiment_id",
        "SELECT CAST(n_users AS INTEGER), CAST(uplift_abs AS TEXT), 0x1F, X'41', 1e3 FROM fct_experiment_results",
        "SELECT (n_users, metric_id) = (1, 'x') FROM fct_experiment_results",
        "WITH x(a) AS NOT MATERIALIZED (SELECT 1) SELECT a FROM x UNION ALL SELECT 2 EXCEPT SELECT 3 INTERSECT SELECT 1",
        "SELECT * FROM fct_experiment_results WHERE experiment_id IN 'fct_experiment_cohort'",
        "SELECT metric_id COLLATE NOCASE FROM fct_experiment_results ORDER BY 1 COLLATE NOCASE",
    ]

    @Test("PostgreSQL constructs are allowed on PostgreSQL", arguments: postgresQueries)
    func postgres(_ query: String) {
        let verdict = SQLGuard.holdout(dialect: .postgres).check(query)
        #expect(verdict.isAllowed, "\(verdict.reason ?? "")")
    }

    @Test("SQLite constructs are allowed on SQLite", arguments: sqliteQueries)
    func sqlite(_ query: String) {
        let verdict = SQLGuard.holdout(dialect: .sqlite).check(query)
        #expect(verdict.isAllowed, "\(verdict.reason ?? "")")
    }
}
