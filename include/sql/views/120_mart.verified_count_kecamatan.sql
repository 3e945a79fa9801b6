CREATE OR REPLACE VIEW mart.verified_count_kecamatan AS
SELECT period, periode, kode_kecamatan, nama_kecamatan,
       sum(layak)::integer AS layak,
       sum(verified)::integer AS verified,
       sum(layak_change)::integer AS layak_change
  FROM mart.verified_count
 GROUP BY period, periode, kode_kecamatan, nama_kecamatan;
