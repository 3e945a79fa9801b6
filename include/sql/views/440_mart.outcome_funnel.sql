CREATE OR REPLACE VIEW mart.outcome_funnel AS
SELECT program, to_char(period, 'YYYY-MM') AS periode, period, kode_kecamatan, nama_kecamatan, kode_desa, nama_desa,
       count(*) AS dirujuk,
       count(status) AS dijawab,
       count(*) FILTER (WHERE category IN ('diterima', 'selesai', 'dana')) AS diterima,
       count(*) FILTER (WHERE category IN ('selesai', 'dana')) AS selesai,
       count(*) FILTER (WHERE category = 'dana') AS dana,
       count(*) FILTER (WHERE category = 'ditolak') AS ditolak,
       count(*) FILTER (WHERE category = 'tidak_dapat_dihubungi') AS tidak_dapat_dihubungi,
       count(*) FILTER (WHERE status IS NULL) AS belum_dijawab,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tanggal_jawaban_pertama - first_export) AS median_hari_jawaban,
       percentile_cont(0.5) WITHIN GROUP (ORDER BY tanggal_selesai - first_export) AS median_hari_selesai
  FROM mart.referral_progress
 GROUP BY program, period, kode_kecamatan, nama_kecamatan, kode_desa, nama_desa;
