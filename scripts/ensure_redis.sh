#!/usr/bin/env bash
# Make sure Redis's server binary is available (the Celery broker of `make airflow EXECUTOR=celery`
# and of the Celery end-to-end test). Prints the path of redis-server on success. As root on
# Debian/Ubuntu it installs the `redis-server` package when missing (without starting the
# system's service: the project runs a server of its own, see scripts/redis.sh); otherwise it says
# how and exits 1. Idempotent: does nothing when present. It never starts Redis.
set -euo pipefail

say() { printf '[redis] %s\n' "$*" >&2; }

find_redis() {
  local candidate
  for candidate in "${REDIS_SERVER:-}" redis-server /usr/bin/redis-server /usr/sbin/redis-server; do
    [[ -n "$candidate" ]] && command -v "$candidate" >/dev/null 2>&1 && { command -v "$candidate"; return 0; }
  done
  return 1
}

if path=$(find_redis); then
  echo "$path"
  exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  say "redis-server not found: installing Debian's redis-server package"
  export DEBIAN_FRONTEND=noninteractive
  # policy-rc.d: don't let the package start the system-wide service (we start our own, on demand)
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [[ ! -e "$policy" ]]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; created_policy=1
  fi
  status=0
  { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends redis-server >/dev/null; } || status=$?
  [[ $created_policy -eq 1 ]] && rm -f "$policy"
  if [[ $status -eq 0 ]] && path=$(find_redis); then
    echo "$path"
    exit 0
  fi
  say "installing redis-server failed (apt-get exit $status)"
  exit 1
fi

say "redis-server is not installed; only the Celery executor needs it (make airflow EXECUTOR=celery, its test)."
say "Install it with: sudo apt-get install redis-server   (or point REDIS_SERVER at a redis-server binary)"
exit 1
