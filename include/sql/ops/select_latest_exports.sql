-- The latest export of each program.
SELECT DISTINCT ON (program) program, agency, export_date, to_char(period, 'YYYY-MM') AS periode, row_count,
       export_path, generated_at, dag_run_id
  FROM publish.export_run
 ORDER BY program, export_date DESC
