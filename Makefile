# The two quickstart commands (see README): `make start` and `make test`; CI runs
# `make lint` first (.ci/run). Everything runs in the project's virtual environment (.venv),
# which `bootstrap` makes from PYTHON (default python3: Debian's own works).
PYTHON ?= python3
VENV := .venv/bin/python

.PHONY: start test test-fast bootstrap lint bench

bootstrap:
	PYTHON=$(PYTHON) ./scripts/bootstrap.sh

start: bootstrap
	$(VENV) manage.py start

test: bootstrap
	$(VENV) -m pytest

# The fast lane: pure and in-process tests only (no Chromium, processes, Redis or carbon).
test-fast: bootstrap
	$(VENV) -m pytest -m "not system"

# Lint, format, types, and the OpenAPI schema without an error or a warning.
lint: bootstrap
	$(VENV) -m ruff check .
	$(VENV) -m ruff format --check .
	$(VENV) -m mypy .
	$(VENV) manage.py spectacular --validate --fail-on-warn --file /dev/null

bench: bootstrap
	$(VENV) bench/run_all.py
