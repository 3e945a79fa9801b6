#!/usr/bin/env bash
# Make sure a headless Chromium is available (the report's browser test uses it).
# Prints the path of the browser on success. As root on Debian/Ubuntu it installs the `chromium`
# package when missing; otherwise it says how and exits 1. Idempotent: does nothing when present.
set -euo pipefail

say() { printf '[chromium] %s\n' "$*" >&2; }

find_chromium() {
  local name
  for name in "${CHROMIUM:-}" chromium chromium-browser google-chrome-stable google-chrome; do
    [[ -n "$name" ]] && command -v "$name" >/dev/null 2>&1 && { command -v "$name"; return 0; }
  done
  return 1
}

if path=$(find_chromium); then
  echo "$path"
  exit 0
fi

if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null 2>&1; then
  say "Chromium not found: installing Debian's chromium package (a few minutes the first time)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # fonts-dejavu-core: readable text in screenshots on a minimal system
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  if path=$(find_chromium); then
    echo "$path"
    exit 0
  fi
  say "the chromium package installed, but no chromium command was found"
  exit 1
fi

say "Chromium is not installed. Install it with: sudo apt-get install chromium"
say "(or point CHROMIUM at a Chromium/Chrome binary)"
exit 1
