-- The gate's issues (tmp_return_issue) into quality.return_issue, with the cell as the agency
-- wrote it (value_sent), for its feedback file.
INSERT INTO quality.return_issue (file_id, source_row, stage, rule_id, severity, column_name, value_sent,
    message)
SELECT t.file_id, t.source_row, 'gate', t.rule_id, t.severity, t.column_name,
       (to_jsonb(r) ->> t.column_name), t.message
  FROM tmp_return_issue t JOIN raw.return_row r USING (file_id, source_row)
ON CONFLICT DO NOTHING
