-- The funnel per program for its latest referred period (counts only): the report's chart and the
-- run summary.
SELECT f.program, f.periode, sum(f.dirujuk)::int AS dirujuk, sum(f.dijawab)::int AS dijawab,
       sum(f.diterima)::int AS diterima, sum(f.selesai)::int AS selesai, sum(f.dana)::int AS dana,
       sum(f.ditolak)::int AS ditolak, sum(f.tidak_dapat_dihubungi)::int AS tidak_dapat_dihubungi,
       sum(f.belum_dijawab)::int AS belum_dijawab
  FROM mart.outcome_funnel f
 WHERE f.period = (SELECT max(r.period) FROM publish.referral r WHERE r.program = f.program)
 GROUP BY f.program, f.periode
 ORDER BY f.program
