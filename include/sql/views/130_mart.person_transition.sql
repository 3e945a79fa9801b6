-- History marts: how people move on and off the list.

-- Each person's transition in each period against the previous loaded period:
--   baru            layak now, never reported before
--   lanjut          layak before and now
--   masuk_kembali   layak now, not layak in the previous period, reported in some earlier period
--   keluar_tidak_layak / keluar_meninggal / keluar_pindah / keluar_tidak_ditemukan
--                   layak in the previous period, now reported with that status (tidak_layak = improved)
--   keluar_tidak_dilaporkan  layak in the previous period, missing from this period's submissions
CREATE MATERIALIZED VIEW mart.person_transition AS
WITH periods AS (
    SELECT period, lag(period) OVER (ORDER BY period) AS previous_period
      FROM (SELECT DISTINCT period FROM core.verifikasi) p
), now_reported AS (
    SELECT p.period, f.nik, f.kode_desa, f.status_verifikasi, f.alasan
      FROM periods p JOIN core.verifikasi f ON f.period = p.period
), previously_layak AS (
    SELECT p.period, f.nik, f.kode_desa
      FROM periods p JOIN core.verifikasi f ON f.period = p.previous_period AND f.status_verifikasi = 'layak'
), joined AS (
    SELECT coalesce(n.period, b.period) AS period, coalesce(n.nik, b.nik) AS nik,
           coalesce(n.kode_desa, b.kode_desa) AS kode_desa, n.status_verifikasi, n.alasan,
           b.nik IS NOT NULL AS was_layak, n.nik IS NOT NULL AS reported
      FROM now_reported n
      FULL JOIN previously_layak b ON b.period = n.period AND b.nik = n.nik
)
SELECT j.period, to_char(j.period, 'YYYY-MM') AS periode, j.nik, j.kode_desa,
       CASE
           WHEN j.was_layak AND j.status_verifikasi = 'layak' THEN 'lanjut'
           WHEN j.was_layak AND NOT j.reported THEN 'keluar_tidak_dilaporkan'
           WHEN j.was_layak THEN 'keluar_' || j.status_verifikasi
           WHEN j.status_verifikasi = 'layak' AND EXISTS (
                SELECT 1 FROM core.verifikasi e WHERE e.nik = j.nik AND e.period < j.period) THEN 'masuk_kembali'
           ELSE 'baru'
       END AS transisi,
       j.status_verifikasi, j.alasan
  FROM joined j
 WHERE j.was_layak OR j.status_verifikasi = 'layak'
WITH NO DATA;
CREATE UNIQUE INDEX person_transition_key ON mart.person_transition (period, nik);
