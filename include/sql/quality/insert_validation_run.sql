-- One run of the quality gate over a batch of villages. Parameters in the order of the column
-- list (finished_at is now()).
INSERT INTO quality.validation_run (periode, dag_run_id, started_at, finished_at, rows_validated,
    rows_passed, rows_failed, gx_success, data_docs_index)
VALUES (%s, %s, %s, now(), %s, %s, %s, %s, %s) RETURNING run_id
