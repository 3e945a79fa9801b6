-- What migrate has applied: each versioned migration (NNNN_<what>.sql) and each repeatable
-- object (views/<schema>.<name>), with the sha256 of its file's text.
CREATE TABLE IF NOT EXISTS public.verfak_migration (
    name text PRIMARY KEY, sha256 text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now())
