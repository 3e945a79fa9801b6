-- Files of one period that could not be read, by reason.
SELECT reject_code, count(*)::integer AS files, count(DISTINCT kode_desa)::integer AS villages
  FROM raw.submission_file
 WHERE periode = %(periode)s AND status = 'rejected'
 GROUP BY reject_code
 ORDER BY files DESC, reject_code
