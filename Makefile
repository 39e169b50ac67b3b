# The two quickstart commands (see README): `make start` and `make test`.
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

lint:
	ruff check . && ruff format --check . && mypy .

bench: bootstrap
	$(PYTHON) bench/run_all.py
