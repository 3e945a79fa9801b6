-- Alerts raised since a moment (newest first).
SELECT alert_id, raised_at, kind, dag_id, run_id, task_id, map_index, try_number, error_type, message,
       log_url, channels, notify_error
  FROM ops.alert
 WHERE raised_at >= %(since)s
 ORDER BY raised_at DESC, alert_id DESC
 LIMIT %(limit)s
