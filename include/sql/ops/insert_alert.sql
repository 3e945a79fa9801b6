-- Record a raised alert. Parameters: kind, dag_id, run_id, task_id, map_index, try_number,
-- logical_date, deadline_at, error_type, message, log_url, channels, notify_error (positional).
INSERT INTO ops.alert (kind, dag_id, run_id, task_id, map_index, try_number, logical_date,
    deadline_at, error_type, message, log_url, channels, notify_error)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
RETURNING alert_id
