-- Refresh the marts after a load (publish DAG). CONCURRENTLY needs a populated view, so the
-- first refresh is a plain one.
DO $$
BEGIN
    IF (SELECT relispopulated FROM pg_class WHERE oid = 'mart.verified_count'::regclass) THEN
        EXECUTE 'REFRESH MATERIALIZED VIEW CONCURRENTLY mart.verified_count';
    ELSE
        EXECUTE 'REFRESH MATERIALIZED VIEW mart.verified_count';
    END IF;
END $$;
