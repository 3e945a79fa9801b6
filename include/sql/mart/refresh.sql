-- Refresh the marts after a load (publish DAG). CONCURRENTLY keeps them readable meanwhile; it
-- needs a populated view, so the very first refresh of each is a plain one.
DO $$
DECLARE
    view_name text;
BEGIN
    FOREACH view_name IN ARRAY ARRAY['mart.verified_count', 'mart.person_transition'] LOOP
        IF (SELECT relispopulated FROM pg_class WHERE oid = view_name::regclass) THEN
            EXECUTE format('REFRESH MATERIALIZED VIEW CONCURRENTLY %s', view_name);
        ELSE
            EXECUTE format('REFRESH MATERIALIZED VIEW %s', view_name);
        END IF;
    END LOOP;
END $$;
