-- The run summary: the agencies' return files accepted and rejected, their rows, and the rows
-- sent back with an error.
SELECT count(*) FILTER (WHERE status = 'accepted'), count(*) FILTER (WHERE status = 'rejected'),
       coalesce(sum(rows_read), 0),
       (SELECT count(DISTINCT (file_id, source_row)) FROM quality.return_issue WHERE severity = 'error')
  FROM raw.return_file
