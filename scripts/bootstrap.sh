#!/usr/bin/env bash
# Install what Perfite needs on a fresh machine, into a project virtual environment (.venv):
# Chromium (Debian's package when we are root and no browser is found), redis-server for the
# tests' throwaway broker, and the Python packages (editable install with tests).
# Never installs into the system interpreter (PEP 668), so it works the same on Debian's own
# /usr/bin/python3, on a pyenv or distribution Python, when run twice and from two clones.
# Idempotent: does nothing that is already done. PYTHON picks the interpreter the
# environment is made from (default: python3).
set -euo pipefail
cd "$(dirname "$0")/.."
BASE_PYTHON=${PYTHON:-python3}
VENV=.venv

say() { printf 'bootstrap: %s\n' "$*"; }

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    say "installing Debian packages: $*"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
    return 0
  fi
  return 1
}

if ! command -v "$BASE_PYTHON" >/dev/null 2>&1; then
  apt_install python3 python3-venv || {
    echo "bootstrap: no $BASE_PYTHON found. Install Python 3.11 or later (Debian: apt-get install python3 python3-venv)." >&2
    exit 1
  }
fi

if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import sys" >/dev/null 2>&1; then
  say "creating the project virtual environment in $VENV (from $(command -v "$BASE_PYTHON"))"
  rm -rf "$VENV"
  if ! "$BASE_PYTHON" -m venv "$VENV" >/dev/null 2>&1; then
    # Debian and Ubuntu ship venv's pip bootstrap in a separate package.
    rm -rf "$VENV"
    apt_install python3-venv || {
      echo "bootstrap: '$BASE_PYTHON -m venv' failed. On Debian/Ubuntu: apt-get install python3-venv" >&2
      exit 1
    }
    "$BASE_PYTHON" -m venv "$VENV"
  fi
fi
PY="$VENV/bin/python"

if [ -z "${PERFITE_BROWSER_PATH:-}" ] && ! command -v chromium >/dev/null 2>&1; then
  if ! apt_install chromium fonts-dejavu-core; then
    say "no chromium found and not root; trying Playwright's own download"
    "$PY" -m playwright install chromium || {
      echo "bootstrap: no browser. Install Debian's chromium or set PERFITE_BROWSER_PATH." >&2
      exit 1
    }
  fi
fi

# Firefox (optional: agents offer the browsers they find): Debian's ESR, driven over
# WebDriver BiDi; the Firefox tests need it.
if [ -z "${PERFITE_FIREFOX_PATH:-}" ] && ! command -v firefox-esr >/dev/null 2>&1 \
  && ! command -v firefox >/dev/null 2>&1; then
  apt_install firefox-esr || say "no Firefox: agents will offer Chromium only (README, Browsers)"
fi

if ! command -v redis-server >/dev/null 2>&1; then
  apt_install redis-server || say "redis-server not found: the system tests will say how to get it"
fi

stamp="$VENV/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  say "installing Python packages into $VENV (about a minute on a fresh machine)"
  # Progress: one line per package pip collects, then its summary; everything goes to a log.
  mkdir -p var
  log=var/bootstrap-pip.log
  if ! GRAPHITE_NO_PREFIX=1 "$PY" -m pip install --disable-pip-version-check -e ".[test]" </dev/null 2>&1 \
    | tee "$log" | { grep --line-buffered -E "^(Collecting|Installing collected|Successfully)" || true; } \
    | cut -c1-160 | sed -u 's/^/  /'; then
    tail -n 30 "$log" >&2
    echo "bootstrap: pip install failed (full log: $log)" >&2
    exit 1
  fi
  touch "$stamp"
fi
