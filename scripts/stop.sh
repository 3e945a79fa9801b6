#!/usr/bin/env bash
# `make stop`: stop only what `make airflow` and the setup started, by their pid files.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
for pidfile in "$ROOT"/.local/airflow/pids/*.pid; do
  [[ -e "$pidfile" ]] || continue
  pid=$(cat "$pidfile")
  if kill -0 "$pid" 2>/dev/null; then
    # the service and the processes it started (same process group, see airflow_services.sh)
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
    echo "[stop] $(basename "$pidfile" .pid) (pid $pid) stopped"
  fi
  rm -f "$pidfile"
done
PGDATA="$ROOT/.local/pg/data"
if [[ -s "$PGDATA/postmaster.pid" ]]; then
  pid=$(head -1 "$PGDATA/postmaster.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" && echo "[stop] PostgreSQL (pid $pid) stopping (fast shutdown)"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
fi
exit 0
