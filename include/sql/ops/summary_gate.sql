-- The run summary: per period, the rows staging holds (a run validates a batch of villages, not
-- the period), loaded and quarantined, and the latest gate run's Data Docs.
SELECT s.periode, s.validated, s.validated - s.failed, s.failed, r.data_docs_index
  FROM (SELECT to_char(period, 'YYYY-MM') AS periode, count(*) AS validated,
               count(*) FILTER (WHERE has_error) AS failed
          FROM staging.verifikasi GROUP BY 1) s
  LEFT JOIN LATERAL (SELECT data_docs_index FROM quality.validation_run v WHERE v.periode = s.periode
                      ORDER BY run_id DESC LIMIT 1) r ON true
 ORDER BY 1
