# Two commands for a fresh machine with Python >= 3.11:  `make up`  and  `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: up test test-integration venv lint bench docs clean

$(STAMP): requirements.txt requirements-bench.txt requirements-docs.txt requirements-dev.txt pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "backbone needs Python >= 3.11, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt -e '.[bench]'
	@touch $(STAMP)

venv: $(STAMP)

## up: start the whole stack (embedded Redis + PostgreSQL unless REDIS_URL / DATABASE_URL are set)
up: $(STAMP)
	$(BIN)/backbone up

## test: the full suite through tox (lint, types, import contracts, tests, coverage reports)
test: $(STAMP)
	$(BIN)/tox

## test-integration: tests/integration alone, against REDIS_URL / DATABASE_URL when set (CI's second run)
test-integration: $(STAMP)
	$(BIN)/python -m pytest -p no:cacheprovider tests/integration

lint: $(STAMP)
	$(BIN)/tox -e lint,static

## bench: every benchmark and the Locust scenarios; tables and HTML reports in bench-results/<UTC time>/
BENCH_OUT      ?= bench-results
BENCH_SECONDS  ?= 10
LOCUST_SECONDS ?= 60
LOCUST_USERS   ?= 20
BENCH_ONLY     ?=
bench: $(STAMP)
	$(BIN)/backbone bench all --out $(BENCH_OUT) --seconds $(BENCH_SECONDS) \
		--locust-seconds $(LOCUST_SECONDS) --locust-users $(LOCUST_USERS) \
		$(foreach name,$(BENCH_ONLY),--only $(name))

## docs: the documentation site (docs/, mkdocs.yml) into site/, strictly: any warning fails it
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

clean:
	rm -rf site .tox .coverage .coverage.* coverage.xml htmlcov .pytest_cache .mypy_cache .ruff_cache
