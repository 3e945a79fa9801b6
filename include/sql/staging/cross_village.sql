-- The period's cross-village counts of every NIK the batch sends more than once in the period
-- (verfak.staging.CROSS_VILLAGE_COLUMNS), set-based: the batch's rows (tmp_batch_key: every village
-- of the batch, neighbours included) and the staging rows of the period's other villages with the
-- same NIK. A NIK sent once in the whole period has the counts its own row gives, which type_rows
-- computes within the chunk (verfak.staging.with_period_counts keeps them): only the few repeated
-- NIKs are counted here (a first load of 1,000,000 rows: 5.2 s for every NIK, 1.5 s for these).
ANALYZE tmp_batch_key;

CREATE TEMP TABLE tmp_nik_cross ON COMMIT DROP AS
WITH period_rows AS (
    SELECT nik, kode_desa, no_kk FROM tmp_batch_key WHERE nik IS NOT NULL
    UNION ALL
    SELECT s.nik, s.kode_desa, s.no_kk
      FROM staging.verifikasi s
     WHERE s.period = %(period)s AND s.kode_desa <> ALL(%(villages)s)
       AND s.nik IN (SELECT nik FROM tmp_batch_key)
), repeated AS (
    SELECT nik FROM period_rows GROUP BY nik HAVING count(*) > 1
)
SELECT nik, count(DISTINCT kode_desa)::integer AS nik_jumlah_desa, count(DISTINCT no_kk)::integer AS nik_jumlah_kk
  FROM period_rows
 WHERE nik IN (SELECT nik FROM repeated)
 GROUP BY nik;
ANALYZE tmp_nik_cross;
-- The counts by row, for the chunks' reads (select_period_rows.sql): a chunk finds its rows by
-- their index, where joining tmp_batch_key and tmp_nik_cross scanned both whole for every chunk.
CREATE TEMP TABLE tmp_row_cross ON COMMIT DROP AS
SELECT k.file_id, k.source_row, c.nik_jumlah_desa, c.nik_jumlah_kk
  FROM tmp_batch_key k
  JOIN tmp_nik_cross c USING (nik);
CREATE INDEX ON tmp_row_cross (file_id, source_row);
ANALYZE tmp_row_cross;
