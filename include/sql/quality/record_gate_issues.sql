-- Replace the quality-gate issues of the batch villages' files of a period (every file of theirs,
-- superseded ones included) with those of this run (kept in tmp_gate_failure by the caller), each with the value the village sent in that column: whole up
-- to %(echo_max)s characters, else its first %(echo_keep)s and a marker with its length
-- (verfak.safe_text.shorten, the same rule the feedback files apply).
DELETE FROM quality.row_issue i
 USING raw.submission_file f
 WHERE i.file_id = f.file_id AND f.periode = %(periode)s AND f.kode_desa = ANY(%(villages)s) AND i.stage = 'gate';

INSERT INTO quality.row_issue (file_id, source_row, stage, rule_id, severity, column_name, value_sent, message, run_id)
SELECT t.file_id, t.source_row, 'gate', t.rule_id, t.severity, t.column_name,
       CASE WHEN length(v.value_sent) > %(echo_max)s
            THEN left(v.value_sent, %(echo_keep)s) || format(%(echo_mark)s, length(v.value_sent))
            ELSE v.value_sent END,
       t.message, %(run_id)s
  FROM tmp_gate_failure t
  JOIN raw.submission_row r USING (file_id, source_row)
 CROSS JOIN LATERAL (SELECT to_jsonb(r) ->> t.column_name AS value_sent) v;
