#!/usr/bin/env bash
# `make run`: the whole pipeline on the landing zone, through Airflow, then the summary.
# Puts the built-in sample submissions in the landing zone when it is empty, runs the DAGs in
# order with `airflow dags test` (ingest, validate_load, publish; the sample agencies' return files
# are dropped then; tindak_lanjut, publish again) (each a real DAG run in the metadata DB, visible in the UI of
# `make airflow`), and prints what the warehouse holds and what this run changed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
LOGS="$ROOT/.local/logs"
umask 027  # exports, feedback, reports and logs are not for every account on the host
mkdir -p "$LOGS" "$VERFAK_LANDING_DIR" "$VERFAK_EXPORT_DIR" "$VERFAK_REPORT_DIR"

fresh_sample=0
[[ -z "$(ls -A "$VERFAK_LANDING_DIR")" ]] && fresh_sample=1  # only then the sample's return files too
python -m verfak sample-data
python -m verfak table-counts "$LOGS/table-counts-before.json"

run_dag() {
  local dag=$1 log="$LOGS/$1${2:-}.log"
  printf '[run] %-28s ' "$dag${2:+ (${2#_})}"
  start=$(date +%s)
  if ! airflow dags test "$dag" >"$log" 2>&1 || ! grep -q "state=success" "$log"; then
    echo "FAILED (log: $log)"
    grep -E "\[error|Traceback|Error:" "$log" | tail -15 >&2 || true
    exit 1
  fi
  skipped=$(grep -c "new_state=skipped" "$log" || true)
  note=""; [[ "$skipped" -gt 0 ]] && note=" ($skipped task(s) skipped: nothing new for them)"
  echo "ok in $(( $(date +%s) - start ))s$note"
}

# The villages' files through to the exports; then what the agencies report back about them
# (on the sample: return files for the 2024-06 exports, dropped now that the exports exist), and
# the exports again, showing each referral's status and ranking capital by training outcomes.
run_dag verfak_ingest
run_dag verfak_validate_load
run_dag verfak_publish
[[ "$fresh_sample" == 1 ]] && python -m verfak sample-returns
run_dag verfak_tindak_lanjut
run_dag verfak_publish _again

python -m verfak summary --before "$LOGS/table-counts-before.json"
echo
echo "DAG logs: $LOGS/. Watch and rerun the runs in the Airflow UI: make airflow (http://localhost:8080)"
