-- A person's timeline: every period they were reported in, with the version of their identity
-- and address valid then, and their transition.
CREATE OR REPLACE VIEW mart.person_timeline AS
SELECT f.nik, f.period, to_char(f.period, 'YYYY-MM') AS periode, f.status_verifikasi, f.alasan,
       t.transisi, f.kode_desa, d.nama_desa, v.nama, v.alamat, v.rt, v.rw, v.no_kk,
       v.person_version_id, v.valid_from, v.valid_to
  FROM core.verifikasi f
  JOIN core.person_version v USING (person_version_id)
  JOIN ref.desa d ON d.kode_desa = f.kode_desa
  LEFT JOIN mart.person_transition t ON t.period = f.period AND t.nik = f.nik;
