-- The registry of rules (verfak.rules): each rule's severity, column, expectation and messages,
-- copied from Python. Parameters: rule_id, severity, column_name, expectation, message,
-- description (positional).
INSERT INTO quality.rule (rule_id, severity, column_name, expectation, message, description)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (rule_id) DO UPDATE SET severity = EXCLUDED.severity,
    column_name = EXCLUDED.column_name, expectation = EXCLUDED.expectation,
    message = EXCLUDED.message, description = EXCLUDED.description
