# The two set-up commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint migrate check i18n-extract i18n-update i18n-compile bench bench-device-read bench-revalue bench-donations bench-import bench-custom-fields bench-impact clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP) i18n-compile
	KRINGLOOP_DEMO_MODE=$${KRINGLOOP_DEMO_MODE:-true} $(BIN)/kringloop serve

# Two test processes: on the 2-core machine the suite took 13m45s in one, 8m11s in two (pytest-xdist; every
# process has its own PostgreSQL database, SQLite files and ports). TEST_WORKERS=0 runs it in this process.
TEST_WORKERS ?= 2

test: $(STAMP) i18n-compile
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS)

# Everything but the slow tests and the reliability suite (races, kills, schemathesis); the 1M-row figures are
# benchmarks (make bench), never tests.
test-fast: $(STAMP) i18n-compile
	$(BIN)/python -m pytest -q -n $(TEST_WORKERS) -m "not slow and not reliability"

lint: $(STAMP)
	$(BIN)/ruff check service integrations tests bench migrations

migrate: $(STAMP)
	$(BIN)/kringloop migrate

check: $(STAMP)
	$(BIN)/alembic check

# Translations (gettext catalogues managed with Babel): extract the texts from the code and templates, merge them
# into the committed .po files (service/locale/{nl,en}/LC_MESSAGES/messages.po), compile the .mo files the app
# reads (built here, never committed). Translate what `i18n-update` adds before committing: a test fails on any
# text missing from the Dutch catalogue, and on an empty or fuzzy Dutch entry.
LOCALE_DIR := service/locale
POT := $(LOCALE_DIR)/messages.pot

i18n-extract: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg -k lazy_gettext --no-location --sort-output \
		--project Kringloop --version 0.1.0 -o $(POT) service

i18n-update: i18n-extract
	$(BIN)/pybabel -q update -i $(POT) -d $(LOCALE_DIR) -D messages --ignore-obsolete \
		--no-fuzzy-matching

i18n-compile: $(STAMP)
	$(BIN)/pybabel -q compile -d $(LOCALE_DIR) -D messages

# Every benchmark, one after the other (PostgreSQL: KRINGLOOP_BENCH_POSTGRES_URL, else the tests' server).
bench: bench-device-read bench-revalue bench-donations bench-import bench-custom-fields bench-impact

bench-device-read: $(STAMP)
	$(BIN)/python bench/device_read.py

bench-revalue: $(STAMP)
	$(BIN)/python bench/revalue.py --sizes 100000 1000000

bench-donations: $(STAMP)
	$(BIN)/python bench/donations.py

bench-import: $(STAMP)
	$(BIN)/python bench/import.py --sizes 100000 1000000

bench-custom-fields: $(STAMP)
	$(BIN)/python bench/custom_fields.py --devices 1000000

bench-impact: $(STAMP)
	$(BIN)/python bench/impact.py --devices 1000000

clean:
	rm -rf $(VENV) data .pytest_cache
