#!/usr/bin/env bash
# `make airflow`: Airflow's api-server (UI on :8080, or AIRFLOW_UI_PORT), scheduler, dag-processor
# and triggerer, in the background against the same metadata DB as `make run`.
#
#   EXECUTOR=local   (default) LocalExecutor: the scheduler runs the tasks itself.
#   EXECUTOR=celery  CeleryExecutor: also a Redis server of its own (broker, on a free loopback port,
#                    no persistence) and CELERY_WORKERS (2) `airflow celery worker`s with
#                    CELERY_WORKER_CONCURRENCY (2) slots each; results in the metadata DB.
#
# Every service runs in a session of its own; its pid is in the pids folder, so scripts/stop.sh
# (`make stop`) stops exactly these processes and what they started. Folders: .local/airflow/pids,
# .local/logs, .local/redis; VERFAK_SERVICES_DIR=<dir> puts all three under <dir> instead (the
# Celery end-to-end test runs its own set this way, next to a running `make airflow`).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n "${VERFAK_SERVICES_DIR:-}" ]]; then
  PIDS="$VERFAK_SERVICES_DIR/pids"; LOGS="$VERFAK_SERVICES_DIR/logs"; REDIS_DIR="$VERFAK_SERVICES_DIR/redis"
else
  PIDS="$ROOT/.local/airflow/pids"; LOGS="$ROOT/.local/logs"; REDIS_DIR="$ROOT/.local/redis"
fi
umask 027  # the tasks these start write exports, feedback and reports: not world-readable
mkdir -p "$PIDS" "$LOGS"
PORT=${AIRFLOW_UI_PORT:-8080}
WORKERS=${CELERY_WORKERS:-2}
CONCURRENCY=${CELERY_WORKER_CONCURRENCY:-2}

die() { printf '[airflow] ERROR: %s\n' "$*" >&2; exit 1; }

case "${EXECUTOR:-local}" in
  local|Local|LOCAL|LocalExecutor) EXECUTOR=local; AIRFLOW_EXECUTOR=LocalExecutor ;;
  celery|Celery|CELERY|CeleryExecutor) EXECUTOR=celery; AIRFLOW_EXECUTOR=CeleryExecutor ;;
  *) die "EXECUTOR must be 'local' or 'celery', not '${EXECUTOR}'" ;;
esac

running() { [[ -s "$PIDS/$1.pid" ]] && kill -0 "$(cat "$PIDS/$1.pid")" 2>/dev/null; }

# Services started with one executor can't be joined by services of another: stop them first.
if [[ -s "$PIDS/executor" && "$(cat "$PIDS/executor")" != "$EXECUTOR" ]]; then
  for pidfile in "$PIDS"/*.pid; do
    [[ -e "$pidfile" ]] && running "$(basename "$pidfile" .pid)" \
      && die "services are running with EXECUTOR=$(cat "$PIDS/executor"): run 'make stop' first"
  done
fi
echo "$EXECUTOR" > "$PIDS/executor"

start_one() {
  local name=$1; shift
  if running "$name"; then
    echo "[airflow] $name already running (pid $(cat "$PIDS/$name.pid"))"; return
  fi
  # its own session, so `make stop` can stop it with everything it starts
  setsid nohup "$@" >"$LOGS/airflow-$name.log" 2>&1 < /dev/null &
  echo $! > "$PIDS/$name.pid"
  echo "[airflow] $name started (pid $!, log $LOGS/airflow-$name.log)"
}

free_port() {
  python - <<'PYEOF'
import socket
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    print(s.getsockname()[1])
PYEOF
}

export AIRFLOW__CORE__EXECUTOR=$AIRFLOW_EXECUTOR
# The task processes (the scheduler's with LocalExecutor, the workers' with Celery) report to the
# Task Execution API of this api-server: same port as the UI.
export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="${AIRFLOW__CORE__EXECUTION_API_SERVER_URL:-http://localhost:$PORT/execution/}"

if [[ $EXECUTOR == celery ]]; then
  REDIS_SERVER=$("$ROOT/scripts/ensure_redis.sh") || die "redis-server is needed for EXECUTOR=celery (see above)"
  mkdir -p "$REDIS_DIR"; chmod 700 "$REDIS_DIR"
  if [[ ! -s "$REDIS_DIR/password" ]]; then
    (umask 077; python -c 'import secrets; print(secrets.token_urlsafe(24))' > "$REDIS_DIR/password")
  fi
  if ! running redis; then
    free_port > "$REDIS_DIR/port"
    # A broker only: bound to loopback, a password, no snapshots, no append-only file.
    (umask 077; cat > "$REDIS_DIR/redis.conf" <<CONFEOF
bind 127.0.0.1
port $(cat "$REDIS_DIR/port")
protected-mode yes
requirepass $(cat "$REDIS_DIR/password")
dir $REDIS_DIR
save ""
appendonly no
daemonize no
CONFEOF
    )
  fi
  start_one redis "$REDIS_SERVER" "$REDIS_DIR/redis.conf"
  REDIS_PORT=$(cat "$REDIS_DIR/port")
  for _ in $(seq 1 50); do
    REDISCLI_AUTH=$(cat "$REDIS_DIR/password") redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG && break
    running redis || die "redis did not start, see $LOGS/airflow-redis.log"
    sleep 0.2
  done
  export AIRFLOW__CELERY__BROKER_URL="redis://:$(cat "$REDIS_DIR/password")@127.0.0.1:$REDIS_PORT/0"
  # Task results in Airflow's metadata database (same server and credentials), as in docker compose.
  conn=${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN:?no AIRFLOW__DATABASE__SQL_ALCHEMY_CONN: run through scripts/with-env.sh}
  export AIRFLOW__CELERY__RESULT_BACKEND="db+postgresql://${conn#*://}"
  echo "[airflow] Redis broker on 127.0.0.1:$REDIS_PORT (password in $REDIS_DIR/password)"
fi

start_one api-server airflow api-server --port "$PORT"
start_one scheduler airflow scheduler
start_one dag-processor airflow dag-processor
start_one triggerer airflow triggerer

if [[ $EXECUTOR == celery ]]; then
  host=$(hostname -s 2>/dev/null || hostname)
  mkdir -p "$PIDS/celery"
  for i in $(seq 1 "$WORKERS"); do
    # One name per worker: Celery's node name, and the host name Airflow records on the task
    # instances it runs (verfak.hostname), so the UI tells the workers apart on one machine.
    # Own pid file for each (Celery's default is one per AIRFLOW_HOME); no log server: the task
    # logs are files on this machine, which the api-server reads itself.
    VERFAK_WORKER_HOSTNAME="worker$i.$host" \
    AIRFLOW__CORE__HOSTNAME_CALLABLE=verfak.hostname.worker_hostname \
      start_one "celery-worker-$i" airflow celery worker --celery-hostname "worker$i@$host" \
        --concurrency "$CONCURRENCY" --pid "$PIDS/celery/worker-$i.pid" --skip-serve-logs
  done
fi
echo "[airflow] executor: $AIRFLOW_EXECUTOR; task execution API: $AIRFLOW__CORE__EXECUTION_API_SERVER_URL"
echo "[airflow] UI: http://localhost:$PORT (all users are admins locally). Stop with: make stop"
