-- Issue #15: validate-and-load by village batch. A batch replaces the staging rows, issues, core
-- facts, counts and flags of the villages it touches, so staging is looked up by village and by NIK
-- (the cross-village rules), and the rule counts are kept per village so that a run's
-- quality.rule_result can still give the whole period's totals.
CREATE INDEX IF NOT EXISTS staging_verifikasi_period_desa ON staging.verifikasi (period, kode_desa);
DROP INDEX IF EXISTS staging.staging_verifikasi_period;  -- the one above serves period-only lookups
CREATE INDEX IF NOT EXISTS staging_verifikasi_nik ON staging.verifikasi (nik, period);

-- Per period, village and rule (row rules and village rules): the rows (villages) the rule looked
-- at and those that failed it, as of the last batch that touched the village.
CREATE TABLE IF NOT EXISTS quality.rule_count_desa (
    period      text NOT NULL,
    kode_desa   text NOT NULL,
    rule_id     text NOT NULL REFERENCES quality.rule,
    evaluated   integer NOT NULL,
    failed      integer NOT NULL,
    PRIMARY KEY (period, kode_desa, rule_id)
);
