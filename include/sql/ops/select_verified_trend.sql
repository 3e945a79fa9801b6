-- Verified (layak) people per kecamatan and period (mart.verified_count, refreshed by publish).
SELECT periode, kode_kecamatan, nama_kecamatan, layak, verified, layak_change
  FROM mart.verified_count_kecamatan
 ORDER BY kode_kecamatan, period
