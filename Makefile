# The two quickstart commands (see README): `make start` and `make test`; CI runs
# `make lint` first (.ci/run).
PYTHON ?= python3

.PHONY: start test test-fast bootstrap lint bench

bootstrap:
	./scripts/bootstrap.sh

start: bootstrap
	$(PYTHON) manage.py start

test: bootstrap
	$(PYTHON) -m pytest

# The fast lane: pure and in-process tests only (no Chromium, processes, Redis or carbon).
test-fast: bootstrap
	$(PYTHON) -m pytest -m "not system"

# Lint, format, types, and the OpenAPI schema without an error or a warning.
lint: bootstrap
	$(PYTHON) -m ruff check .
	$(PYTHON) -m ruff format --check .
	$(PYTHON) -m mypy .
	$(PYTHON) manage.py spectacular --validate --fail-on-warn --file /dev/null

bench: bootstrap
	$(PYTHON) bench/run_all.py
