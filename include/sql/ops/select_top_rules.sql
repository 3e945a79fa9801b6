-- The quality rules that failed most in one period's current files (intake and quality gate),
-- with how many rows and villages each hit, and its description from the rule registry (quality.rule,
-- which lists the intake codes too).
SELECT i.rule_id, i.stage, i.severity, count(*)::integer AS rows_failed,
       count(DISTINCT f.kode_desa)::integer AS villages,
       r.description
  FROM quality.row_issue i
  JOIN raw.current_submission_file f ON f.file_id = i.file_id
  LEFT JOIN quality.rule r ON r.rule_id = i.rule_id
 WHERE f.periode = %(periode)s
 GROUP BY i.rule_id, i.stage, i.severity, r.description
 ORDER BY rows_failed DESC, i.rule_id
 LIMIT %(limit)s
