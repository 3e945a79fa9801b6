-- Record a program's export of the day; a rerun of the same day replaces the row. Parameters:
-- program, export_date, agency, period, row_count, export_path, manifest_sha256, dag_run_id
-- (positional).
INSERT INTO publish.export_run (program, export_date, agency, period, row_count, export_path,
    manifest_sha256, dag_run_id, generated_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, now())
ON CONFLICT (program, export_date) DO UPDATE SET agency = EXCLUDED.agency, period = EXCLUDED.period,
    row_count = EXCLUDED.row_count, export_path = EXCLUDED.export_path,
    manifest_sha256 = EXCLUDED.manifest_sha256, dag_run_id = EXCLUDED.dag_run_id,
    generated_at = EXCLUDED.generated_at
