-- Completeness of one period per kecamatan.
SELECT kode_kecamatan, nama_kecamatan, expected, received, on_time, late, missing, rejected_only,
       rows_error, reporting_rate, reporting_rate_on_time
  FROM mart.completeness_kecamatan
 WHERE periode = %(periode)s
 ORDER BY kode_kecamatan
