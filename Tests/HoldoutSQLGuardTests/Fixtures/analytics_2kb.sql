WITH daily AS (
    SELECT experiment_id, date_day, exposure_rate, valid_exposure_rate, mismatch_rate,
           AVG(exposure_rate) OVER (PARTITION BY experiment_id ORDER BY date_day ROWS BETWEEN 6 PRECEDING AND CURRENT ROW) AS rolling_rate
    FROM fct_experiment_exposure_quality_daily
    WHERE date_day >= (SELECT MIN(date_day) FROM fct_experiment_exposure_quality_daily)
),
cohort AS (
    SELECT c.experiment_id, c.variation_id, COUNT(*) AS assigned,
           SUM(CASE WHEN c.is_exposed = 1 THEN 1 ELSE 0 END) AS exposed,
           SUM(CASE WHEN v.validation_status = 'valid' THEN 1 ELSE 0 END) AS valid_units
    FROM fct_experiment_cohort c
    LEFT JOIN int_experiment_exposure_validation v ON v.experiment_id = c.experiment_id AND v.unit_id = c.unit_id
    GROUP BY c.experiment_id, c.variation_id
)
SELECT r.experiment_id, r.metric_id, r.variation_id, r.n_users, r.conversion_rate, r.uplift_abs, r.p_value_two_sided,
       r.ci_low, r.ci_high, a.conversions, co.assigned, co.exposed, co.valid_units,
       COALESCE(co.exposed * 1.0 / NULLIF(co.assigned, 0), 0) AS exposure_share,
       RANK() OVER (PARTITION BY r.experiment_id ORDER BY r.uplift_abs DESC) AS uplift_rank,
       (SELECT MAX(d.rolling_rate) FROM daily d WHERE d.experiment_id = r.experiment_id) AS best_rolling_rate,
       CASE WHEN r.p_value_two_sided < 0.05 AND r.ci_low > 0 THEN 'winner'
            WHEN r.p_value_two_sided < 0.05 AND r.ci_high < 0 THEN 'loser' ELSE 'inconclusive' END AS call
FROM fct_experiment_results r
JOIN agg_experiment_metric_by_variant a
  ON a.experiment_id = r.experiment_id AND a.metric_id = r.metric_id AND a.variation_id = r.variation_id
LEFT JOIN cohort co ON co.experiment_id = r.experiment_id AND co.variation_id = r.variation_id
WHERE r.experiment_id IN (SELECT asset_name FROM dim_ai_allowed_assets WHERE grain IS NOT NULL)
   OR EXISTS (SELECT 1 FROM daily d WHERE d.experiment_id = r.experiment_id AND d.mismatch_rate BETWEEN 0 AND 0.01)
GROUP BY r.experiment_id, r.metric_id, r.variation_id, r.n_users, r.conversion_rate, r.uplift_abs, r.p_value_two_sided,
         r.ci_low, r.ci_high, a.conversions, co.assigned, co.exposed, co.valid_units
HAVING SUM(r.n_users) > (SELECT MIN(n_users) FROM agg_experiment_metric_by_variant)
ORDER BY r.experiment_id, uplift_rank, r.metric_id -- comment: DROP TABLE experiments
LIMIT 500
