-- The rules (one row per Great Expectations expectation of the suite) and what they found.
CREATE TABLE IF NOT EXISTS quality.rule (
    rule_id      text PRIMARY KEY,
    severity     text NOT NULL CHECK (severity IN ('error', 'warning')),
    column_name  text,
    expectation  text NOT NULL,      -- the Great Expectations expectation type
    message      text NOT NULL,      -- Indonesian, what the village must fix
    description  text NOT NULL
);

CREATE TABLE IF NOT EXISTS quality.validation_run (
    run_id          bigserial PRIMARY KEY,
    period          text NOT NULL,
    dag_run_id      text,
    started_at      timestamptz NOT NULL,
    finished_at     timestamptz NOT NULL,
    rows_validated  integer NOT NULL,
    rows_passed     integer NOT NULL,    -- no error-level failure (warnings allowed)
    rows_failed     integer NOT NULL,
    gx_success      boolean NOT NULL,
    data_docs_index text
);

CREATE TABLE IF NOT EXISTS quality.rule_result (
    run_id      bigint NOT NULL REFERENCES quality.validation_run ON DELETE CASCADE,
    rule_id     text NOT NULL REFERENCES quality.rule,
    evaluated   integer NOT NULL,
    failed      integer NOT NULL,
    PRIMARY KEY (run_id, rule_id)
);

-- Every failed rule on every row: intake problems (stage 'intake') and quality-gate failures
-- (stage 'gate'). Replaced per file when a file is validated again, so reruns do not pile up.
CREATE TABLE IF NOT EXISTS quality.row_issue (
    file_id      bigint NOT NULL REFERENCES raw.submission_file ON DELETE CASCADE,
    source_row   integer NOT NULL,
    stage        text NOT NULL CHECK (stage IN ('intake', 'gate')),
    rule_id      text NOT NULL,
    severity     text NOT NULL CHECK (severity IN ('error', 'warning')),
    column_name  text,
    value_sent   text,
    message      text NOT NULL,
    run_id       bigint REFERENCES quality.validation_run ON DELETE SET NULL,
    PRIMARY KEY (file_id, source_row, rule_id)
);
