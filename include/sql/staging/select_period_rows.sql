-- The raw rows of a chunk of a batch's files that go to the quality gate, less the rows already
-- rejected at intake (rows with an intake warning go on, flagged), with the period's cross-village
-- counts of each row's NIK when the period has it more than once (tmp_row_cross, made by
-- cross_village.sql for the batch; empty for a NIK sent once; the chunk's files are named on its side
-- of the join too, so its index gives the chunk's rows without a scan).
SELECT r.file_id, r.source_row, f.kode_desa AS kode_desa_folder,
       r.nik, r.no_kk, r.nama, r.jenis_kelamin, r.tanggal_lahir, r.hubungan_keluarga, r.alamat, r.rt, r.rw,
       r.kode_desa, r.status_verifikasi, r.alasan, r.desil, r.pekerjaan, r.pendidikan, r.pendapatan_bulanan,
       r.minat_pelatihan, r.memiliki_usaha, r.minat_usaha, r.no_hp, r.tanggal_verifikasi, r.petugas,
       EXISTS (SELECT 1 FROM quality.row_issue w
                WHERE w.file_id = r.file_id AND w.source_row = r.source_row
                  AND w.stage = 'intake' AND w.severity = 'warning') AS intake_warning,
       c.nik_jumlah_desa, c.nik_jumlah_kk
  FROM raw.submission_row r
  JOIN raw.submission_file f USING (file_id)
  LEFT JOIN tmp_row_cross c
         ON c.file_id = r.file_id AND c.source_row = r.source_row AND c.file_id = ANY(%(file_ids)s)
 WHERE r.file_id = ANY(%(file_ids)s)
   AND NOT EXISTS (SELECT 1 FROM quality.row_issue i
                    WHERE i.file_id = r.file_id AND i.source_row = r.source_row
                      AND i.stage = 'intake' AND i.severity = 'error')
 ORDER BY r.file_id, r.source_row
