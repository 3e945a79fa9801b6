-- Per-village, per-period flags for the data engineers (the village-level suite of verfak.rules):
-- a village whose rows fail a lot, whose layak count jumps against its own history, or whose
-- submission is missing this period. Replaced per period by validate-and-load.
CREATE TABLE IF NOT EXISTS quality.village_flag (
    period      text NOT NULL,
    kode_desa   text NOT NULL REFERENCES ref.desa,
    rule_id     text NOT NULL REFERENCES quality.rule,
    severity    text NOT NULL,
    message     text NOT NULL,
    figures     jsonb NOT NULL,      -- what the rule looked at, for the engineer
    run_id      bigint REFERENCES quality.validation_run ON DELETE SET NULL,
    PRIMARY KEY (period, kode_desa, rule_id)
);
