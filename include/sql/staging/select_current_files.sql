-- The current (latest accepted, not superseded) file of each village of a period, its rows, and
-- whether validate-and-load has taken it yet (a new file, or a village's newer file that
-- superseded the one loaded, has loaded_at NULL: its village is in the next batch).
SELECT kode_desa, file_id, rows_passed, loaded_at IS NULL AS changed
  FROM raw.current_submission_file
 WHERE periode = %(periode)s AND kode_desa IS NOT NULL
 ORDER BY kode_desa
