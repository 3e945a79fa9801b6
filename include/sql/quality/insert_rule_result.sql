-- A run's rule totals for the whole period: the per-village counts summed after the batch.
-- Parameters: run_id, periode (positional).
INSERT INTO quality.rule_result (run_id, rule_id, evaluated, failed)
SELECT %s, rule_id, sum(evaluated), sum(failed) FROM quality.rule_count_desa
 WHERE periode = %s GROUP BY rule_id
