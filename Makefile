# The two quickstart commands (see README): `make start` and `make test`.
PYTHON ?= python3

.PHONY: start test bootstrap lint bench

bootstrap:
	./scripts/bootstrap.sh

start: bootstrap
	$(PYTHON) manage.py start

test: bootstrap
	$(PYTHON) -m pytest

lint:
	ruff check . && ruff format --check . && mypy .

bench: bootstrap
	$(PYTHON) bench/run_all.py
