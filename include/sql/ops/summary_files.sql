-- The run summary: village files accepted, rejected, superseded, their rows read and rejected at
-- intake.
SELECT count(*) FILTER (WHERE status = 'accepted'), count(*) FILTER (WHERE status = 'rejected'),
       count(*) FILTER (WHERE superseded_by IS NOT NULL),
       coalesce(sum(rows_read), 0), coalesce(sum(rows_rejected), 0)
  FROM raw.submission_file
