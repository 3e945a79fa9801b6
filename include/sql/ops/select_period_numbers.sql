-- Headline numbers of one period: files, rows (staging), the latest quality gate run.
SELECT (SELECT count(*) FROM raw.submission_file WHERE periode = %(periode)s AND status = 'accepted')
           AS files_accepted,
       (SELECT count(*) FROM raw.submission_file WHERE periode = %(periode)s AND status = 'rejected')
           AS files_rejected,
       (SELECT count(*) FROM raw.submission_file WHERE periode = %(periode)s AND superseded_by IS NOT NULL)
           AS files_superseded,
       (SELECT coalesce(sum(rows_read), 0) FROM raw.current_submission_file WHERE periode = %(periode)s)
           AS rows_read,
       s.rows_validated, s.rows_validated - s.rows_failed AS rows_loaded, s.rows_failed AS rows_quarantined,
       g.finished_at AS validated_at, g.data_docs_index
  FROM (SELECT 1) one
  -- the period's rows as staging holds them: a run validates a batch of villages, not the period
  LEFT JOIN LATERAL (SELECT nullif(count(*), 0) AS rows_validated, CASE WHEN count(*) > 0 THEN count(*) FILTER (WHERE has_error) END AS rows_failed
                       FROM staging.verifikasi WHERE period = to_date(%(periode)s, 'YYYY-MM')) s ON true
  LEFT JOIN LATERAL (SELECT * FROM quality.validation_run WHERE periode = %(periode)s ORDER BY run_id DESC LIMIT 1) g
    ON true
