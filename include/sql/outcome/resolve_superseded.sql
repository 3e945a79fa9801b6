-- A new version of a return file (same path, new bytes) supersedes the earlier; both are checked
-- again (checked_at NULL).
WITH ranked AS (
    SELECT file_id, first_value(file_id) OVER (PARTITION BY path
               ORDER BY modified_at DESC, file_id DESC) AS current_id
      FROM raw.return_file WHERE status = 'accepted')
UPDATE raw.return_file f SET superseded_by = nullif(r.current_id, r.file_id), checked_at = NULL
  FROM ranked r
 WHERE f.file_id = r.file_id AND f.superseded_by IS DISTINCT FROM nullif(r.current_id, r.file_id)
