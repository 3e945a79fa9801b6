-- History marts: how people move on and off the list, a person's timeline, the list as of a date.

-- Each person's transition in each period against the previous loaded period:
--   baru            layak now, never reported before
--   lanjut          layak before and now
--   masuk_kembali   layak now, not layak in the previous period, reported in some earlier period
--   keluar_tidak_layak / keluar_meninggal / keluar_pindah / keluar_tidak_ditemukan
--                   layak in the previous period, now reported with that status (tidak_layak = improved)
--   keluar_tidak_dilaporkan  layak in the previous period, missing from this period's submissions
CREATE MATERIALIZED VIEW IF NOT EXISTS mart.person_transition AS
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
CREATE UNIQUE INDEX IF NOT EXISTS person_transition_key ON mart.person_transition (period, nik);

CREATE OR REPLACE VIEW mart.transition_count AS
SELECT t.period, t.periode, d.kode_kecamatan, k.nama_kecamatan, t.kode_desa, d.nama_desa, t.transisi,
       count(*)::integer AS orang
  FROM mart.person_transition t
  JOIN ref.desa d USING (kode_desa)
  JOIN ref.kecamatan k USING (kode_kecamatan)
 GROUP BY t.period, t.periode, d.kode_kecamatan, k.nama_kecamatan, t.kode_desa, d.nama_desa, t.transisi;

-- A person's timeline: every period they were reported in, with the version of their identity
-- and address valid then, and their transition.
CREATE OR REPLACE VIEW mart.person_timeline AS
SELECT f.nik, f.period, to_char(f.period, 'YYYY-MM') AS periode, f.status_verifikasi, f.alasan,
       t.transisi, f.kode_desa, d.nama_desa, v.nama, v.alamat, v.rt, v.rw, v.no_kk,
       v.person_version_id, v.valid_from, v.valid_to
  FROM core.verifikasi f
  JOIN core.person_version v USING (person_version_id)
  JOIN ref.desa d ON d.kode_desa = f.kode_desa
  LEFT JOIN mart.person_transition t ON t.period = f.period AND t.nik = f.nik;

-- Who was on the list on a given date: the layak people of the latest period that had started by then.
CREATE OR REPLACE FUNCTION mart.on_list_as_of(as_of date)
RETURNS TABLE (nik text, periode text, kode_desa text, nama text)
LANGUAGE sql STABLE AS $$
    SELECT f.nik, to_char(f.period, 'YYYY-MM'), f.kode_desa, f.nama
      FROM core.verifikasi f
     WHERE f.status_verifikasi = 'layak'
       AND f.period = (SELECT max(period) FROM core.verifikasi WHERE period <= as_of)
$$;
