#!/usr/bin/env bash
# `make run`: the whole pipeline on the landing zone, through Airflow, then the summary.
# Puts the built-in sample submissions in the landing zone when it is empty, runs the three DAGs
# in order with `airflow dags test` (each a real DAG run in the metadata DB, visible in the UI of
# `make airflow`), and prints what the warehouse holds and what this run changed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGS="$ROOT/.local/logs"
umask 027  # exports, feedback, reports and logs are not for every account on the host
mkdir -p "$LOGS" "$VERFAK_LANDING_DIR" "$VERFAK_EXPORT_DIR" "$VERFAK_REPORT_DIR"

python -m verfak sample-data
python -m verfak table-counts "$LOGS/table-counts-before.json"

for dag in verfak_ingest verfak_validate_load verfak_publish; do
  log="$LOGS/$dag.log"
  printf '[run] %-22s ' "$dag"
  start=$(date +%s)
  if ! airflow dags test "$dag" >"$log" 2>&1 || ! grep -q "state=success" "$log"; then
    echo "FAILED (log: $log)"
    grep -E "\[error|Traceback|Error:" "$log" | tail -15 >&2 || true
    exit 1
  fi
  skipped=$(grep -c "new_state=skipped" "$log" || true)
  note=""; [[ "$skipped" -gt 0 ]] && note=" ($skipped task(s) skipped: nothing new for them)"
  echo "ok in $(( $(date +%s) - start ))s$note"
done

python -m verfak summary --before "$LOGS/table-counts-before.json"
echo
echo "DAG logs: $LOGS/. Watch and rerun the runs in the Airflow UI: make airflow (http://localhost:8080)"
