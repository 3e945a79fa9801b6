-- An alert that is sent once a night per kind and subject: claims its row, or returns nothing
-- when another raise of the same night did. Parameters: kind, dag_id, run_id, task_id, message,
-- subject, night, channels (positional).
INSERT INTO ops.alert (kind, dag_id, run_id, task_id, message, subject, night, channels)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (kind, subject, night) WHERE night IS NOT NULL DO NOTHING RETURNING alert_id
