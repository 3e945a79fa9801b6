# The verbs people type. Every target sets up what it needs first (scripts/setup.sh is idempotent).
SHELL := /bin/bash
.DEFAULT_GOAL := help
WITH_ENV := scripts/with-env.sh
# `make airflow EXECUTOR=celery`: CeleryExecutor with Redis and two workers; LocalExecutor by default.
EXECUTOR ?= local

.PHONY: help setup run test test-fast lint fixes lock airflow stop bench clean-data

help: ## list the commands
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-11s %s\n", $$1, $$2}'

setup: ## venv, local PostgreSQL, Airflow metadata DB, warehouse schemas (idempotent)
	@scripts/setup.sh

run: setup ## run the whole pipeline through Airflow on the landing zone (sample data if empty)
	@$(WITH_ENV) scripts/run_pipeline.sh

test: setup ## run the whole test suite against the local PostgreSQL and Airflow
	@$(WITH_ENV) python -m pytest $(PYTEST_ARGS)

test-fast: setup ## the tests without the Airflow end-to-end runs
	@$(WITH_ENV) python -m pytest -m "not airflow" $(PYTEST_ARGS)

PY_PATHS := plugins devdata dags tests bench scripts

lint: setup ## check the code: ruff lint (rules in pyproject.toml), ruff format --check, mypy on plugins/verfak
	@$(WITH_ENV) ruff check $(PY_PATHS)
	@$(WITH_ENV) ruff format --check --quiet $(PY_PATHS) || { echo "run 'make fixes' to format"; exit 1; }
	@$(WITH_ENV) mypy

fixes: setup ## format the code and fix what the linter can fix by itself
	@$(WITH_ENV) ruff format $(PY_PATHS)
	@$(WITH_ENV) ruff check --fix $(PY_PATHS)

lock: ## after changing requirements*.txt: install them unconstrained, then pin every package in constraints.txt
	@.venv/bin/pip install --quiet -r requirements-dev.txt
	@{ sed -n '1,3p' constraints.txt; .venv/bin/pip freeze --exclude-editable; } > constraints.txt.new && mv constraints.txt.new constraints.txt

airflow: setup ## start the Airflow UI (http://localhost:8080, AIRFLOW_UI_PORT), scheduler, DAG processor, triggerer (EXECUTOR=celery: with Redis and two Celery workers)
	@EXECUTOR=$(EXECUTOR) $(WITH_ENV) scripts/airflow_services.sh start

stop: ## stop what these commands started (Airflow services, Celery workers, Redis, PostgreSQL), by their pid files
	@scripts/stop.sh

bench: setup ## the benchmark: 1,000,000 and 250,000 rows through the nightly cycle against COPY (BENCH_ARGS="--rows N --second-size S --keep")
	@$(WITH_ENV) python -m bench.run $(BENCH_ARGS)

clean-data: ## remove the local landing zone, exports and reports (not the database)
	rm -rf data/landing data/exports data/reports
