-- Replace the quality-gate issues of a period's files with those of this run (kept in
-- tmp_gate_failure by the caller), each with the value the village sent in that column.
DELETE FROM quality.row_issue i
 USING raw.submission_file f
 WHERE i.file_id = f.file_id AND f.period = %(period)s AND i.stage = 'gate';

INSERT INTO quality.row_issue (file_id, source_row, stage, rule_id, severity, column_name, value_sent, message, run_id)
SELECT t.file_id, t.source_row, 'gate', t.rule_id, t.severity, t.column_name,
       to_jsonb(r) ->> t.column_name, t.message, %(run_id)s
  FROM tmp_gate_failure t
  JOIN raw.submission_row r USING (file_id, source_row);
