# The two set-up commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test test-fast lint migrate check bench bench-device-read bench-revalue bench-donations bench-import bench-custom-fields bench-impact clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	KRINGLOOP_DEMO_MODE=$${KRINGLOOP_DEMO_MODE:-true} $(BIN)/kringloop serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

# Everything but the slow tests and the reliability suite (races, kills, schemathesis); the 1M-row figures are
# benchmarks (make bench), never tests.
test-fast: $(STAMP)
	$(BIN)/python -m pytest -q -m "not slow and not reliability"

lint: $(STAMP)
	$(BIN)/ruff check service integrations tests bench migrations

migrate: $(STAMP)
	$(BIN)/kringloop migrate

check: $(STAMP)
	$(BIN)/alembic check

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
