-- What an agency must fix in one month of its return files: every issue on the rows of its
-- current files, and the reason of each rejected file. The agency sees its own values here
-- (this goes to the agency, never to a log). baris: the row number as the agency sees it (on its
-- sheet when the workbook was read from several sheets).
SELECT file, sheet, baris, referral_id, kolom, nilai_dikirim, kode_aturan, pesan
  FROM (
SELECT f.file_name AS file, r.source_sheet AS sheet, coalesce(r.sheet_row, i.source_row) AS baris, r.referral_id,
       i.column_name AS kolom, i.value_sent AS nilai_dikirim, i.rule_id AS kode_aturan, i.message AS pesan,
       i.source_row AS key
  FROM raw.return_file f
  JOIN quality.return_issue i USING (file_id)
  LEFT JOIN raw.return_row r ON r.file_id = i.file_id AND r.source_row = i.source_row
 WHERE f.program = %(program)s AND f.periode = %(periode)s AND f.status = 'accepted' AND f.superseded_by IS NULL
UNION ALL
SELECT f.file_name, NULL, NULL, NULL, NULL, NULL, f.reject_code, f.reject_message, NULL
  FROM raw.return_file f
 WHERE f.program = %(program)s AND f.periode = %(periode)s AND f.status = 'rejected'
       ) feedback
 ORDER BY file, key NULLS FIRST, kode_aturan
