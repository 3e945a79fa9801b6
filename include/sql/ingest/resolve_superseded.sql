-- The latest accepted file of each village and period is current; every other accepted file of
-- that village and period is superseded by it (kept in raw for audit). "Latest" = newest
-- modification time, then greatest file name, then latest registration: the rule in
-- docs/submissions.md. A newly current file has loaded_at NULL, so validate-and-load picks its period up.
WITH ranked AS (
    SELECT file_id,
           first_value(file_id) OVER (
               PARTITION BY periode, kode_desa
               ORDER BY modified_at DESC, file_name DESC, file_id DESC) AS current_id
      FROM raw.submission_file
     WHERE status = 'accepted'
)
UPDATE raw.submission_file f
   SET superseded_by = nullif(r.current_id, r.file_id)
  FROM ranked r
 WHERE f.file_id = r.file_id
   AND f.superseded_by IS DISTINCT FROM nullif(r.current_id, r.file_id);
