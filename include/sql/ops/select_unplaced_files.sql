-- Rejected files that no village hears of (no village could be read from their path): of the
-- period, or of no period at all. Path and reason only (the path is masked by the caller).
SELECT path, periode, reject_code, registered_at
  FROM raw.submission_file
 WHERE status = 'rejected' AND kode_desa IS NULL AND (periode = %(periode)s OR periode IS NULL)
 ORDER BY registered_at DESC, path
 LIMIT %(limit)s
