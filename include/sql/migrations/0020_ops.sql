-- Operating the pipeline: the alerts raised for the data engineers and the nightly run reports.
CREATE SCHEMA IF NOT EXISTS ops;      -- alerts and run reports (no personal data)

-- One row per alert: a task that failed (after its retries), a publish run that missed its
-- deadline. Written by verfak.alerts; the log line and the e-mail / webhook say the same.
CREATE TABLE IF NOT EXISTS ops.alert (
    alert_id        bigserial PRIMARY KEY,
    raised_at       timestamptz NOT NULL DEFAULT now(),
    kind            text NOT NULL CHECK (kind IN ('task_failed', 'deadline_missed')),
    dag_id          text NOT NULL,
    run_id          text,
    task_id         text,                 -- NULL for a whole-run alert (deadline)
    map_index       integer,              -- the mapped task's index (-1 or NULL when not mapped)
    try_number      integer,
    logical_date    timestamptz,
    deadline_at     timestamptz,          -- deadline_missed: the time the run should have finished by
    error_type      text,                 -- the exception's class name
    message         text NOT NULL,        -- what happened, with long digit runs (NIK, KK) masked
    log_url         text,                 -- the task's log in the Airflow UI
    channels        text[] NOT NULL DEFAULT ARRAY['log'], -- where it was also sent: log, webhook, email
    notify_error    text                  -- why a configured channel could not be reached
);
CREATE INDEX IF NOT EXISTS alert_raised_at ON ops.alert (raised_at DESC);
CREATE INDEX IF NOT EXISTS alert_dag_run ON ops.alert (dag_id, run_id);

-- One row per nightly report written by the publish DAG (a rerun of the same day replaces it).
CREATE TABLE IF NOT EXISTS ops.report_run (
    run_date      date PRIMARY KEY,       -- the day the publish run stands for (Asia/Jakarta)
    dag_run_id    text,
    period        text,                   -- YYYY-MM the report is about
    cutoff_day    integer NOT NULL,
    generated_at  timestamptz NOT NULL DEFAULT now(),
    report_path   text NOT NULL,
    numbers       jsonb NOT NULL DEFAULT '{}'::jsonb   -- the headline counts shown in the report
);
