-- The current file of each village and period: accepted and not replaced by a later file of the
-- same village and period (raw.submission_file.superseded_by, set by ingest/resolve_superseded.sql).
-- Its rows are what staging, the gate and the reports read for the period.
CREATE OR REPLACE VIEW raw.current_submission_file AS
SELECT *
  FROM raw.submission_file
 WHERE status = 'accepted' AND superseded_by IS NULL;
