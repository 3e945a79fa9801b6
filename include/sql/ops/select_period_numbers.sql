-- Headline numbers of one period: files, rows, the latest quality gate run.
SELECT (SELECT count(*) FROM raw.submission_file WHERE period = %(period)s AND status = 'accepted')
           AS files_accepted,
       (SELECT count(*) FROM raw.submission_file WHERE period = %(period)s AND status = 'rejected')
           AS files_rejected,
       (SELECT count(*) FROM raw.submission_file WHERE period = %(period)s AND superseded_by IS NOT NULL)
           AS files_superseded,
       (SELECT coalesce(sum(rows_read), 0) FROM raw.submission_file
         WHERE period = %(period)s AND status = 'accepted' AND superseded_by IS NULL) AS rows_read,
       g.rows_validated, g.rows_passed AS rows_loaded, g.rows_failed AS rows_quarantined, g.finished_at AS validated_at,
       g.data_docs_index
  FROM (SELECT 1) one
  LEFT JOIN LATERAL (SELECT * FROM quality.validation_run WHERE period = %(period)s ORDER BY run_id DESC LIMIT 1) g
    ON true
