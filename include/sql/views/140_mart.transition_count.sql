CREATE OR REPLACE VIEW mart.transition_count AS
SELECT t.period, t.periode, d.kode_kecamatan, k.nama_kecamatan, t.kode_desa, d.nama_desa, t.transisi,
       count(*)::integer AS orang
  FROM mart.person_transition t
  JOIN ref.desa d USING (kode_desa)
  JOIN ref.kecamatan k USING (kode_kecamatan)
 GROUP BY t.period, t.periode, d.kode_kecamatan, k.nama_kecamatan, t.kode_desa, d.nama_desa, t.transisi;
