#!/usr/bin/env bash
# Runs a command with the environment written by scripts/setup.sh (.local/env) and the venv on PATH.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[[ -s "$ROOT/.local/env" ]] || { echo "no .local/env: run 'make setup' (or 'make run' / 'make test') first" >&2; exit 1; }
set -a; . "$ROOT/.local/env"; set +a
export PATH="$ROOT/.venv/bin:$PATH"
exec "$@"
