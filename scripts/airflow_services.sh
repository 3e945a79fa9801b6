#!/usr/bin/env bash
# `make airflow`: Airflow's api-server (UI on :8080), scheduler, dag-processor and triggerer, in
# the background against the same metadata DB as `make run`. Pids in .local/airflow/pids/.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PIDS="$ROOT/.local/airflow/pids"
LOGS="$ROOT/.local/logs"
umask 027  # the tasks these start write exports, feedback and reports: not world-readable
mkdir -p "$PIDS" "$LOGS"
PORT=${AIRFLOW_UI_PORT:-8080}

start_one() {
  local name=$1; shift
  if [[ -s "$PIDS/$name.pid" ]] && kill -0 "$(cat "$PIDS/$name.pid")" 2>/dev/null; then
    echo "[airflow] $name already running (pid $(cat "$PIDS/$name.pid"))"; return
  fi
  # its own session, so `make stop` can stop it with the workers it forks (by process group)
  setsid nohup "$@" >"$LOGS/airflow-$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
  echo "[airflow] $name started (pid $!, log .local/logs/airflow-$name.log)"
}

start_one api-server airflow api-server --port "$PORT"
start_one scheduler airflow scheduler
start_one dag-processor airflow dag-processor
start_one triggerer airflow triggerer
echo "[airflow] UI: http://localhost:$PORT (all users are admins locally). Stop with: make stop"
