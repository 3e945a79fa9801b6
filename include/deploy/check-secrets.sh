#!/usr/bin/env bash
# Refuse to start with a missing or placeholder secret (issue #12, item 15).
#
#   check-secrets.sh NAME...
#
# Each NAME is an environment variable holding a secret from .env. Exits 1, naming every
# variable that is empty or still the .env.example placeholder (`change-me`); never prints a value.
set -uo pipefail
PLACEHOLDER="change-me"
bad=0
for name in "$@"; do
    value="${!name-}"
    if [[ -z "$value" ]]; then
        echo "refusing to start: $name is empty; set it in .env (e.g. openssl rand -hex 32)" >&2
        bad=1
    elif [[ "${value,,}" == "$PLACEHOLDER" ]]; then
        echo "refusing to start: $name is still the .env.example placeholder '$PLACEHOLDER'; set a real secret in .env (e.g. openssl rand -hex 32)" >&2
        bad=1
    fi
done
if [[ $bad -ne 0 ]]; then
    echo "see docs/deployment.md, step 1 (Configure)" >&2
    exit 1
fi
echo "secrets set: $#"
