-- Periods with a current accepted file that validate-and-load has not taken yet.
SELECT DISTINCT periode
  FROM raw.current_submission_file
 WHERE loaded_at IS NULL
 ORDER BY periode
