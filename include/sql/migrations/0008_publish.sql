-- One row per export written: program and day are the key, so a rerun of the same night replaces it.
CREATE TABLE IF NOT EXISTS publish.export_run (
    program        text NOT NULL,
    export_date    date NOT NULL,
    agency         text NOT NULL,
    period         date NOT NULL,
    row_count      integer NOT NULL,
    export_path    text NOT NULL,
    manifest_sha256 text NOT NULL,
    dag_run_id     text,
    generated_at   timestamptz NOT NULL,
    PRIMARY KEY (program, export_date)
);
