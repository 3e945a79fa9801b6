-- The period's cross-village counts of every NIK the batch sends (verfak.staging.CROSS_VILLAGE_COLUMNS),
-- set-based: the batch's rows (tmp_batch_key: every village of the batch, neighbours included) and
-- the staging rows of the period's other villages with the same NIK. The same counts a load of the
-- whole period at once computes in pandas over all its rows.
CREATE INDEX ON tmp_batch_key (nik);
ANALYZE tmp_batch_key;

CREATE TEMP TABLE tmp_nik_cross ON COMMIT DROP AS
WITH period_rows AS (
    SELECT nik, kode_desa, no_kk FROM tmp_batch_key WHERE nik IS NOT NULL
    UNION ALL
    SELECT s.nik, s.kode_desa, s.no_kk
      FROM staging.verifikasi s
     WHERE s.period = %(period)s AND s.kode_desa <> ALL(%(villages)s)
       AND s.nik IN (SELECT nik FROM tmp_batch_key)
)
SELECT nik, count(DISTINCT kode_desa)::integer AS nik_jumlah_desa, count(DISTINCT no_kk)::integer AS nik_jumlah_kk
  FROM period_rows
 GROUP BY nik;
CREATE UNIQUE INDEX ON tmp_nik_cross (nik);
ANALYZE tmp_nik_cross;
-- The counts by row, for the chunks' reads (select_period_rows.sql): a chunk finds its rows by
-- their index, where joining tmp_batch_key and tmp_nik_cross scanned both whole for every chunk
-- (a first load of 1,000,000 rows: 20 chunks, each hashing 1,000,000 keys).
CREATE TEMP TABLE tmp_row_cross ON COMMIT DROP AS
SELECT k.file_id, k.source_row, c.nik_jumlah_desa, c.nik_jumlah_kk
  FROM tmp_batch_key k
  JOIN tmp_nik_cross c USING (nik);
CREATE INDEX ON tmp_row_cross (file_id, source_row);
ANALYZE tmp_row_cross;
