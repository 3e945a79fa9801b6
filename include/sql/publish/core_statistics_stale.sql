-- core.verifikasi's planner statistics are out of date: never analysed, or more than %(share)s of
-- its rows inserted, updated or deleted since the last ANALYZE (verfak.publish.analyse_core_if_stale).
SELECT (s.last_analyze IS NULL AND s.last_autoanalyze IS NULL)
       OR s.n_mod_since_analyze > %(share)s * greatest(s.n_live_tup, 1)
  FROM pg_stat_user_tables s
 WHERE s.relid = 'core.verifikasi'::regclass;
