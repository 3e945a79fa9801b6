-- Whether the wanted definition of an agency's view (made in pg_temp as a probe) equals the
-- existing one, as PostgreSQL renders both, options (security_barrier) included. Parameters: the
-- probe's name, the view's name (positional).
SELECT pg_get_viewdef(w.oid) = pg_get_viewdef(e.oid) AND w.reloptions IS NOT DISTINCT FROM e.reloptions
  FROM pg_class w, pg_class e
 WHERE w.oid = %s::regclass AND e.oid = %s::regclass
