-- The current rows of a program's months from a month on, for the gate. Parameters: program,
-- first periode (positional).
SELECT r.file_id, r.source_row, r.referral_id, r.nik, r.status_tindak_lanjut, r.tanggal, r.nilai,
       r.kegiatan, r.keterangan, f.modified_at AS reported_at, f.periode
  FROM raw.return_row r JOIN raw.return_file f USING (file_id)
 WHERE f.program = %s AND f.periode >= %s AND f.status = 'accepted' AND f.superseded_by IS NULL
   -- a pre-filled row of tindak_lanjut.xlsx the agency left empty: no answer yet, not a mistake
   AND num_nonnulls(nullif(btrim(r.status_tindak_lanjut), ''), nullif(btrim(r.tanggal), ''),
                    nullif(btrim(r.nilai), ''), nullif(btrim(r.kegiatan), ''),
                    nullif(btrim(r.keterangan), '')) > 0
   AND NOT EXISTS (SELECT 1 FROM quality.return_issue i WHERE i.file_id = r.file_id
                      AND i.source_row = r.source_row AND i.stage = 'intake' AND i.severity = 'error')
 ORDER BY r.file_id, r.source_row
