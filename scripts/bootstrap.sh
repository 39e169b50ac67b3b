#!/usr/bin/env bash
# Install what Perfite needs on a fresh Debian machine: Chromium (Debian's package when we
# are root and no browser is found) and the Python packages (editable install with tests).
# Idempotent: does nothing that is already done.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}

if [ -z "${PERFITE_BROWSER_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "bootstrap: installing Debian's chromium"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core >/dev/null
  else
    echo "bootstrap: no chromium found; trying Playwright's own download"
    "$PYTHON" -m playwright install chromium || {
      echo "bootstrap: no browser. Install Debian's chromium or set PERFITE_BROWSER_PATH." >&2
      exit 1
    }
  fi
fi

if ! command -v redis-server >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "bootstrap: installing redis-server (used by the tests' throwaway broker)"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
fi

stamp=var/.installed-$(sha1sum pyproject.toml | cut -c1-12)
if [ ! -f "$stamp" ]; then
  echo "bootstrap: installing Python packages"
  GRAPHITE_NO_PREFIX=1 "$PYTHON" -m pip install -q -e ".[test]"
  mkdir -p var && touch "$stamp"
fi
