# The two commands of the README: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
export FLASK_APP := wsgi

.PHONY: run serve test lint format translations clean bench bench-peer bench-national

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# A stamp per requirements file, so a changed pin reinstalls and an unchanged one costs nothing.
$(VENV)/.requirements: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## Kawal with demo data on SQLite, at http://127.0.0.1:$(PORT), with the reminder worker and a local mail sink on MAIL_PORT
PORT ?= 5000
MAIL_PORT ?= 8025
run: export MAIL_PORT := $(MAIL_PORT)
run: export KAWAL_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.requirements
	$(BIN)/flask db upgrade
	$(BIN)/flask seed demo --if-empty
	$(BIN)/flask reminders sink & SINK=$$!; \
	$(BIN)/python -m jobs worker & WORKER=$$!; \
	trap 'kill $$SINK $$WORKER 2>/dev/null' EXIT INT TERM; \
	echo "Emails Kawal sends: $$KAWAL_BASE_URL/dev/mail"; \
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

## Production-style serving on PostgreSQL, for measuring: gunicorn (gunicorn.conf.py) and the reminder worker
SERVE_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench
serve: $(VENV)/.requirements
	export KAWAL_ENV=production DATABASE_URL=$(SERVE_DATABASE_URL) SESSION_COOKIE_SECURE=0 RATELIMIT_ALLOW_PER_WORKER=1 \
	  SECRET_KEY=$${SECRET_KEY:-$$($(BIN)/python -c 'import secrets; print(secrets.token_hex(32))')}; \
	$(BIN)/python -m bench.common $(SERVE_DATABASE_URL) && $(BIN)/flask db upgrade && \
	{ $(BIN)/python -m jobs worker & WORKER=$$!; \
	  trap 'kill $$WORKER 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn -c gunicorn.conf.py wsgi:app; }

## The whole suite on SQLite, and on PostgreSQL too when TEST_DATABASE_URL is set; in parallel, one pytest-xdist
## worker a core (PYTEST_WORKERS=0 runs it in one process, as a debugger wants)
PYTEST_WORKERS ?= auto
test: $(VENV)/.requirements-dev
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) $(PYTEST_ARGS)

## Ruff's rules and layout, and the import contracts of pyproject.toml (docs/ARCHITECTURE.md)
lint: $(VENV)/.requirements-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports --no-cache

## Rewrite the code in ruff's layout and apply its safe fixes (imports sorted)
format: $(VENV)/.requirements-dev
	$(BIN)/ruff check --fix --select I . && $(BIN)/ruff format .

## Extract, merge and compile the message catalogues
translations: $(VENV)/.requirements-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --sort-output -o translations/messages.pot .
	$(BIN)/pybabel update -i translations/messages.pot -d translations -w 120
	$(BIN)/pybabel compile -d translations

clean:
	rm -rf $(VENV) .pytest_cache

## The benchmark at 100,000 assignments (BENCH_DATABASE_URL, default: a PostgreSQL database named bench): the data,
## the pages in process, the reminder run, then gunicorn under wrk against the issue's targets, and the memory
BENCH_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench
WRK := command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
bench: $(VENV)/.requirements-dev
	$(WRK)
	$(BIN)/python -m bench.generate --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python -m bench.run --database-url $(BENCH_DATABASE_URL)
	$(BIN)/python -m bench.load --database-url $(BENCH_DATABASE_URL)

## Kawal beside Redmine under the same wrk settings, on the data `make bench` left in BENCH_DATABASE_URL; installs
## Redmine from REDMINE_PEER_DIR when missing (as root); Redmine is a peer to measure against, never a dependency
REDMINE_PEER_DIR ?= ../shared/peers/redmine
bench-peer: $(VENV)/.requirements-dev
	$(WRK)
	REDMINE_PEER_DIR=$(REDMINE_PEER_DIR) $(BIN)/python -m bench.peer --database-url $(BENCH_DATABASE_URL)

## The national scale point: 1,000,000 assignments over 552 governments in NATIONAL_DATABASE_URL (some 15 minutes to
## generate; NATIONAL_GENERATE=0 measures the data already there), then the same pages, reminders and load
NATIONAL_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/bench_national
NATIONAL_GENERATE ?= 1
bench-national: $(VENV)/.requirements-dev
	$(WRK)
	[ "$(NATIONAL_GENERATE)" = 0 ] || $(BIN)/python -m bench.generate --database-url $(NATIONAL_DATABASE_URL) --scale 10
	$(BIN)/python -m bench.run --database-url $(NATIONAL_DATABASE_URL)
	$(BIN)/python -m bench.load --database-url $(NATIONAL_DATABASE_URL)
