-- The NIK and family card of each row of a chunk of a batch's files, as sent (typed by
-- verfak.staging.typed_keys): the rows the gate will see (not those rejected at intake).
SELECT r.file_id, r.source_row, f.kode_desa AS kode_desa_folder, r.nik, r.no_kk
  FROM raw.submission_row r
  JOIN raw.submission_file f USING (file_id)
 WHERE r.file_id = ANY(%(file_ids)s)
   AND NOT EXISTS (SELECT 1 FROM quality.row_issue i
                    WHERE i.file_id = r.file_id AND i.source_row = r.source_row
                      AND i.stage = 'intake' AND i.severity = 'error')
 ORDER BY r.file_id, r.source_row
