-- The figures of the given villages for one period that the village-level rules judge
-- (verfak.rules.VILLAGE_RULES): the villages a batch touched and those with no current file.
-- Run inside the load transaction, after core is loaded.
WITH gate AS (
    SELECT kode_desa, count(*) AS rows_validated, count(*) FILTER (WHERE has_error) AS rows_error
      FROM staging.verifikasi WHERE period = %(period)s AND kode_desa = ANY(%(villages)s) GROUP BY kode_desa
), intake AS (
    SELECT kode_desa, sum(rows_rejected) AS rows_rejected
      FROM raw.current_submission_file
     WHERE periode = %(periode)s
     GROUP BY kode_desa
), layak_now AS (
    SELECT kode_desa, count(*) FILTER (WHERE status_verifikasi = 'layak') AS layak
      FROM core.verifikasi WHERE period = %(period)s AND kode_desa = ANY(%(villages)s) GROUP BY kode_desa
), earlier AS (
    SELECT kode_desa, count(*) FILTER (WHERE status_verifikasi = 'layak') AS layak,
           row_number() OVER (PARTITION BY kode_desa ORDER BY period DESC) AS recency
      FROM core.verifikasi WHERE period < %(period)s AND kode_desa = ANY(%(villages)s) GROUP BY kode_desa, period
), history AS (
    SELECT kode_desa, avg(layak)::float8 AS average FROM earlier WHERE recency <= 6 GROUP BY kode_desa
), sent_now AS (
    SELECT DISTINCT kode_desa FROM raw.submission_file WHERE periode = %(periode)s AND kode_desa IS NOT NULL
), sent_before AS (
    SELECT DISTINCT kode_desa FROM raw.submission_file WHERE periode < %(periode)s AND kode_desa IS NOT NULL
)
SELECT d.kode_desa,
       coalesce(g.rows_validated, 0) + coalesce(i.rows_rejected, 0) AS baris_dikirim,
       coalesce(g.rows_error, 0) + coalesce(i.rows_rejected, 0) AS baris_ditolak,
       (coalesce(g.rows_error, 0) + coalesce(i.rows_rejected, 0))::float8
           / nullif(coalesce(g.rows_validated, 0) + coalesce(i.rows_rejected, 0), 0) AS bagian_baris_ditolak,
       coalesce(l.layak, 0) AS layak,
       h.average AS rata_rata_layak_sebelumnya,
       CASE WHEN n.kode_desa IS NOT NULL AND h.average > 0
            THEN (coalesce(l.layak, 0) - h.average) / h.average END AS perubahan_relatif,
       CASE WHEN n.kode_desa IS NOT NULL THEN abs(coalesce(l.layak, 0) - h.average) END AS selisih_mutlak,
       n.kode_desa IS NOT NULL AS mengirim,
       b.kode_desa IS NOT NULL AS pernah_mengirim
  FROM ref.desa d
  LEFT JOIN gate g USING (kode_desa)
  LEFT JOIN intake i USING (kode_desa)
  LEFT JOIN layak_now l USING (kode_desa)
  LEFT JOIN history h USING (kode_desa)
  LEFT JOIN sent_now n USING (kode_desa)
  LEFT JOIN sent_before b USING (kode_desa)
 WHERE d.kode_desa = ANY(%(villages)s)
 ORDER BY d.kode_desa
