-- What an agency must fix in one month of its return files: every issue on the rows of its
-- current files, and the reason of each rejected file. The agency sees its own values here
-- (this goes to the agency, never to a log).
SELECT f.file_name AS file, i.source_row AS baris, r.referral_id, i.column_name AS kolom,
       i.value_sent AS nilai_dikirim, i.rule_id AS kode_aturan, i.message AS pesan
  FROM raw.return_file f
  JOIN quality.return_issue i USING (file_id)
  LEFT JOIN raw.return_row r ON r.file_id = i.file_id AND r.source_row = i.source_row
 WHERE f.program = %(program)s AND f.period = %(period)s AND f.status = 'accepted' AND f.superseded_by IS NULL
UNION ALL
SELECT f.file_name, NULL, NULL, NULL, NULL, f.reject_code, f.reject_message
  FROM raw.return_file f
 WHERE f.program = %(program)s AND f.period = %(period)s AND f.status = 'rejected'
 ORDER BY 1, 2 NULLS FIRST, 6
