-- Periods with a current accepted file that validate-and-load has not taken yet.
SELECT DISTINCT period
  FROM raw.submission_file
 WHERE status = 'accepted' AND superseded_by IS NULL AND loaded_at IS NULL
 ORDER BY period
