-- Record a written report; a rerun of the same day replaces the day's row.
INSERT INTO ops.report_run (run_date, dag_run_id, periode, cutoff_day, generated_at, report_path, numbers)
VALUES (%(run_date)s, %(dag_run_id)s, %(periode)s, %(cutoff_day)s, now(), %(report_path)s, %(numbers)s)
ON CONFLICT (run_date) DO UPDATE SET dag_run_id = EXCLUDED.dag_run_id, periode = EXCLUDED.periode,
    cutoff_day = EXCLUDED.cutoff_day, generated_at = EXCLUDED.generated_at,
    report_path = EXCLUDED.report_path, numbers = EXCLUDED.numbers
