-- Verified (layak) people per period and village, with the change against the previous period.
-- A materialized view refreshed by the publish DAG.
CREATE MATERIALIZED VIEW mart.verified_count AS
WITH periods AS (
    SELECT DISTINCT period FROM core.verifikasi
), counts AS (
    SELECT period, kode_desa,
           count(*) FILTER (WHERE status_verifikasi = 'layak') AS layak,
           count(*) AS verified
      FROM core.verifikasi
     GROUP BY period, kode_desa
)
SELECT p.period,
       to_char(p.period, 'YYYY-MM') AS periode,
       k.kode_kecamatan, k.nama_kecamatan, d.kode_desa, d.nama_desa,
       coalesce(c.layak, 0) AS layak,
       coalesce(c.verified, 0) AS verified,
       coalesce(c.layak, 0) - lag(coalesce(c.layak, 0)) OVER (PARTITION BY d.kode_desa ORDER BY p.period) AS layak_change
  FROM periods p
 CROSS JOIN ref.desa d
  JOIN ref.kecamatan k USING (kode_kecamatan)
  LEFT JOIN counts c ON c.period = p.period AND c.kode_desa = d.kode_desa
WITH NO DATA;
CREATE UNIQUE INDEX verified_count_key ON mart.verified_count (period, kode_desa);
