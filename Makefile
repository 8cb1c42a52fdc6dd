# Weiquan developer tasks. `make run` and `make test` work from a fresh clone.
#
#   make run [PORT=8001]   migrate, load demo data, serve with a Celery worker and beat
#   make test [PYTEST_ARGS="-k lifecycle"] [TEST_WORKERS=0]
#   make lint              ruff, formatting, missing migrations, import layers
#   make clean             remove .venv, var/ (the dev database) and caches

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# The suite runs on one pytest-xdist worker per core (each with its own test database);
# TEST_WORKERS=0 runs it in one process (easier to debug, -x stops at once).
TEST_WORKERS ?= auto
# Where settings keep the SQLite database, uploads and the embedded broker.
VAR_DIR := $(or $(WEIQUAN_VAR_DIR),var)
# Debian packages the project needs; `make system-deps` installs the missing ones
# (as root, with apt) and only warns otherwise. Later features add theirs here,
# e.g. fonts-noto-cjk for Chinese text in WeasyPrint PDFs.
# WeasyPrint (PDF certificates) loads Pango and HarfBuzz's subsetter at run time;
# without a CJK font it prints Chinese as empty boxes (tests/evidence/test_certificate.py).
# wrk drives the HTTP benchmarks of `make bench`.
# gettext (msgfmt) compiles the web pages' message catalogues (`make messages`).
# chromium is the browser the Playwright tests drive (tests/e2e, /usr/bin/chromium).
# postgresql gives `make chaos` its initdb and pg_ctl for a private server it may crash.
SYSTEM_PACKAGES ?= fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 wrk \
	gettext chromium postgresql

REQUIREMENTS := requirements.txt requirements-dev.txt
# pip runs again only when a requirements file is newer than this stamp.
STAMP := $(VENV)/.requirements-installed

.PHONY: help venv system-deps messages run test lint clean bench chaos

help:
	@echo "make run     serve http://$(HOST):$(PORT)/ with demo data, a Celery worker and beat (PORT=...)"
	@echo "make test    run the test suite (PYTEST_ARGS=...; DATABASE_URL=postgres://... for PostgreSQL)"
	@echo "make messages  compile the message catalogues (run and test do it first)"
	@echo "make lint    ruff check, ruff format --check, makemigrations --check, lint-imports"
	@echo "make bench   benchmarks (same-run ratios), written to docs/performance.md"
	@echo "make chaos   crash harness: kill -9 web/worker, crash PostgreSQL, prove nothing lost"
	@echo "make clean   remove $(VENV), var/ and caches"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' \
		|| { echo "Python 3.11 or newer is needed; try: make PYTHON=python3.12 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); exit 1; }

$(STAMP): $(REQUIREMENTS) | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP)

system-deps:
	@bash scripts/system-deps.sh $(SYSTEM_PACKAGES)

run: export DEBUG := 1
run: export WEBHOOK_ALLOW_PRIVATE_URLS := 1
# Links in the notification emails point at this server.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: system-deps $(STAMP) messages
	@mkdir -p $(VAR_DIR)/broker $(VAR_DIR)/broker-processed
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py signing_certificate
	@VENV=$(VENV) HOST=$(HOST) PORT=$(PORT) bash scripts/dev-serve.sh

# The suite runs on config.settings_test (pyproject.toml), whatever the shell exported.
test: system-deps $(STAMP) messages
	env -u DJANGO_SETTINGS_MODULE $(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The English catalogues (<app>/locale/en/LC_MESSAGES/django.po; the msgids are Chinese)
# compiled to .mo, which git ignores; compilemessages skips a catalogue already up to date.
messages: system-deps $(STAMP)
	@DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py compilemessages --ignore=$(VENV) \
		--ignore=var --ignore=node_modules --settings=config.settings_test --verbosity 0

# Runs every check and fails at the end if any failed, so CI shows all problems at once.
# makemigrations needs settings but no database: the test settings on in-memory SQLite.
lint: $(STAMP)
	@status=0; \
	echo "+ ruff check ."; $(BIN)/ruff check . || status=1; \
	echo "+ ruff format --check ."; $(BIN)/ruff format --check . || status=1; \
	echo "+ manage.py makemigrations --check --dry-run"; \
	DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py makemigrations --check --dry-run \
		--settings=config.settings_test || status=1; \
	echo "+ manage.py lifecycle_diagram --check"; \
	DATABASE_URL=sqlite://:memory: $(BIN)/python manage.py lifecycle_diagram --check \
		--settings=config.settings_test || status=1; \
	echo "+ lint-imports"; $(BIN)/lint-imports --no-cache || status=1; \
	if [ $$status -ne 0 ]; then echo "make lint: some checks failed (see above)" >&2; fi; \
	exit $$status

# Benchmarks (not part of `make test`): each prints a table of same-run ratios and
# updates its section of docs/performance.md. Needs PostgreSQL on 127.0.0.1:5432 (user
# postgres, trust); drops and recreates the database weiquan_bench. The defaults (1 and
# 5 million complaints, sweep 1 million:100,000) take hours today (docs/performance.md);
# BENCH_SIZES=200000 BENCH_SWEEP=20000:2000 takes about 12 minutes (rollups included).
bench: system-deps $(STAMP)
	$(BIN)/python bench/run.py --write

# Crash harness (not part of `make test`): 200 kill -9 of gunicorn and Celery processes
# and 10 crashes of a PRIVATE PostgreSQL (initdb'd in a temp dir; the shared server is
# never stopped) under load, then proves every acknowledged write stored whole and every
# webhook delivered; writes its table into docs/operations.md. Needs initdb/pg_ctl and
# RabbitMQ on 127.0.0.1:5672 (or CHAOS_BROKER_URL). CI: CHAOS_ARGS=--short (~2 min).
CHAOS_ARGS ?= --write
chaos: $(STAMP)
	$(BIN)/python chaos/run.py $(CHAOS_ARGS)

# Only ./var, never $(WEIQUAN_VAR_DIR): that may point at real data.
clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache .hypothesis .import_linter_cache test-artifacts
	find . -path ./.git -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
