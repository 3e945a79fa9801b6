-- Villages of the period outside the batch whose staging rows share a NIK with the batch: with its
-- new rows (tmp_batch_key) or with the rows it replaces (the batch villages' staging rows). Their
-- cross-village counts can change with the batch, so they are validated and loaded again with it:
-- a NIK the batch now shares holds their row out, a NIK the batch no longer sends releases it.
WITH batch_nik AS (
    SELECT nik FROM tmp_batch_key WHERE nik IS NOT NULL
    UNION
    SELECT nik FROM staging.verifikasi
     WHERE period = %(period)s AND kode_desa = ANY(%(villages)s) AND nik IS NOT NULL
)
SELECT DISTINCT s.kode_desa
  FROM staging.verifikasi s
  JOIN batch_nik b USING (nik)
 WHERE s.period = %(period)s AND s.kode_desa <> ALL(%(villages)s)
 ORDER BY 1
