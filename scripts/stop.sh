#!/usr/bin/env bash
# `make stop`: stop only what `make airflow` and the setup started, by their pid files.
#
# Each service of scripts/airflow_services.sh leads a session of its own: it gets SIGTERM (its
# process group), up to 30 s to finish (a Celery worker's warm shutdown lets running tasks end),
# then whatever is left of its session (task processes put themselves in process groups of their
# own) gets SIGKILL. Celery workers go first, then the other Airflow services, Redis last. VERFAK_SERVICES_DIR=<dir> stops the set
# started with the same setting, and leaves PostgreSQL alone.
set -uo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n "${VERFAK_SERVICES_DIR:-}" ]]; then
  PIDS="$VERFAK_SERVICES_DIR/pids"
else
  PIDS="$ROOT/.local/airflow/pids"
fi

session_members() {  # the processes of session $1 (a session id is the pid of its leader)
  ps -e -o pid=,sid= | awk -v s="$1" '$2 == s { print $1 }'
}

stop_one() {
  local pidfile=$1 pid name
  [[ -e "$pidfile" ]] || return 0
  pid=$(cat "$pidfile"); name=$(basename "$pidfile" .pid)
  if [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid"
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    kill -0 "$pid" 2>/dev/null && kill -KILL -- "-$pid" 2>/dev/null
    echo "[stop] $name (pid $pid) stopped"
  fi
  if [[ "$pid" =~ ^[0-9]+$ ]]; then
    local left
    left=$(session_members "$pid")
    if [[ -n "$left" ]]; then
      # shellcheck disable=SC2086
      kill -KILL $left 2>/dev/null
      echo "[stop] $name: killed what was left of its session (pids $(echo $left))"
    fi
  fi
  rm -f "$pidfile"
}

shopt -s nullglob
# in three waves, the services of a wave in parallel
for pidfile in "$PIDS"/celery-worker-*.pid; do stop_one "$pidfile" & done
wait
for pidfile in "$PIDS"/*.pid; do [[ "$(basename "$pidfile")" == redis.pid ]] || stop_one "$pidfile" & done
wait
stop_one "$PIDS/redis.pid"
rm -f "$PIDS/executor" "$PIDS"/celery/*.pid

[[ -n "${VERFAK_SERVICES_DIR:-}" ]] && exit 0
PGDATA="$ROOT/.local/pg/data"
if [[ -s "$PGDATA/postmaster.pid" ]]; then
  pid=$(head -1 "$PGDATA/postmaster.pid")
  if kill -0 "$pid" 2>/dev/null; then
    kill -INT "$pid" && echo "[stop] PostgreSQL (pid $pid) stopping (fast shutdown)"
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  fi
fi
exit 0
