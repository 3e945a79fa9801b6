-- The raw rows of a period that go to the quality gate: rows of the current (not superseded)
-- accepted file of each village, less the rows already rejected at intake (rows with an intake
-- warning go on, flagged).
SELECT r.file_id, r.source_row, f.kode_desa AS kode_desa_folder,
       r.nik, r.no_kk, r.nama, r.jenis_kelamin, r.tanggal_lahir, r.hubungan_keluarga, r.alamat, r.rt, r.rw,
       r.kode_desa, r.status_verifikasi, r.alasan, r.desil, r.pekerjaan, r.pendidikan, r.pendapatan_bulanan,
       r.minat_pelatihan, r.memiliki_usaha, r.minat_usaha, r.no_hp, r.tanggal_verifikasi, r.petugas,
       EXISTS (SELECT 1 FROM quality.row_issue w
                WHERE w.file_id = r.file_id AND w.source_row = r.source_row
                  AND w.stage = 'intake' AND w.severity = 'warning') AS intake_warning
  FROM raw.submission_row r
  JOIN raw.submission_file f USING (file_id)
 WHERE f.period = %(period)s
   AND f.status = 'accepted'
   AND f.superseded_by IS NULL
   AND NOT EXISTS (SELECT 1 FROM quality.row_issue i
                    WHERE i.file_id = r.file_id AND i.source_row = r.source_row
                      AND i.stage = 'intake' AND i.severity = 'error')
 ORDER BY r.file_id, r.source_row
