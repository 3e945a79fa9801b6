-- The views and materialized views that read the given objects (%(oids)s: relations or
-- functions), directly or through one another, from pg_depend: (schema.name, a materialized view
-- holding data).
WITH RECURSIVE dependent(oid) AS (
    SELECT r.ev_class FROM pg_depend d JOIN pg_rewrite r ON r.oid = d.objid
     WHERE d.classid = 'pg_rewrite'::regclass AND d.refobjid = ANY(%(oids)s::oid[])
       AND r.ev_class <> ALL(%(oids)s::oid[])
    UNION
    SELECT r.ev_class FROM dependent x
      JOIN pg_depend d ON d.refobjid = x.oid AND d.classid = 'pg_rewrite'::regclass
      JOIN pg_rewrite r ON r.oid = d.objid
     WHERE r.ev_class <> x.oid
)
SELECT n.nspname || '.' || c.relname, c.relkind = 'm' AND c.relispopulated
  FROM dependent x JOIN pg_class c ON c.oid = x.oid JOIN pg_namespace n ON n.oid = c.relnamespace
