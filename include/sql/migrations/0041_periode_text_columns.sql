-- One name, one type per concept (issue #14 point 2, docs/glossary.md): `period` is always a date
-- (the first day of the month) and `periode` always the text YYYY-MM. The text columns that still
-- said `period` are renamed; their indexes, unique and primary keys follow the column.
ALTER TABLE raw.submission_file RENAME COLUMN period TO periode;
ALTER TABLE raw.return_file RENAME COLUMN period TO periode;
ALTER TABLE quality.validation_run RENAME COLUMN period TO periode;
ALTER TABLE quality.village_flag RENAME COLUMN period TO periode;
ALTER TABLE quality.rule_count_desa RENAME COLUMN period TO periode;
ALTER TABLE ops.report_run RENAME COLUMN period TO periode;
-- The view over raw.submission_file (include/sql/views/, re-created after the migrations) keeps the
-- name its column had when it was made: renamed here too, so it is replaced in place, grants kept.
-- On a fresh warehouse it does not exist yet.
ALTER VIEW IF EXISTS raw.current_submission_file RENAME COLUMN period TO periode;
