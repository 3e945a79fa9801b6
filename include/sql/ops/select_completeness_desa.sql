-- The villages of one period that need a look: nothing received, received late, only rejected
-- files, or rows with errors (most errors first within each group). Codes and counts only.
SELECT kode_kecamatan, nama_kecamatan, kode_desa, nama_desa, received, on_time, late, missing, accepted,
       files, files_rejected, first_received_at, rows_read, rows_error,
       CASE WHEN missing THEN 'missing'
            WHEN NOT accepted THEN 'rejected_only'
            WHEN late THEN 'late'
            ELSE 'errors' END AS problem
  FROM mart.completeness_desa
 WHERE periode = %(periode)s
   AND (missing OR late OR NOT accepted OR rows_error > 0)
 ORDER BY CASE WHEN missing THEN 0 WHEN NOT accepted THEN 1 WHEN late THEN 2 ELSE 3 END,
          rows_error DESC, kode_desa
