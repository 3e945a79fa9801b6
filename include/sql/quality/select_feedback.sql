-- What each village of a period must fix: every issue on the rows of its current file, and the
-- reason of a rejected file sent after that file (or with no accepted file at all). The village
-- sees its own values (NIK included) here: this goes to the village, never to a log. A row is named
-- by its sheet (workbooks read from several sheets have one per RT, say) and its row number there.
-- %(villages)s: only these villages (NULL: every village of the period).
WITH current_file AS (
    SELECT kode_desa, file_id, file_name, modified_at
      FROM raw.current_submission_file
     WHERE periode = %(periode)s
       AND (%(villages)s::text[] IS NULL OR kode_desa = ANY(%(villages)s::text[]))
)
SELECT c.kode_desa, c.file_name AS file, r.source_sheet AS sheet, coalesce(r.sheet_row, i.source_row) AS baris,
       i.column_name AS kolom, i.value_sent AS nilai_dikirim,
       CASE i.severity WHEN 'error' THEN 'ditolak' ELSE 'peringatan' END AS tingkat,
       i.rule_id AS kode_aturan, i.message AS pesan, i.source_row
  FROM current_file c
  JOIN quality.row_issue i USING (file_id)
  LEFT JOIN raw.submission_row r USING (file_id, source_row)  -- the sheet and its row number (workbooks)
UNION ALL
SELECT f.kode_desa, f.file_name, NULL, NULL, NULL, NULL, 'file ditolak', f.reject_code, f.reject_message, NULL
  FROM raw.submission_file f
  LEFT JOIN current_file c USING (kode_desa)
 WHERE f.periode = %(periode)s AND f.status = 'rejected' AND f.kode_desa IS NOT NULL
   AND (c.file_id IS NULL OR f.modified_at >= c.modified_at)
   AND (%(villages)s::text[] IS NULL OR f.kode_desa = ANY(%(villages)s::text[]))
 ORDER BY 1, 2, 10 NULLS FIRST, 8
