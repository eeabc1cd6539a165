# The two set-up commands: `make run` and `make test`. Both create .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint migrate check bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	KRINGLOOP_DEMO_MODE=$${KRINGLOOP_DEMO_MODE:-true} $(BIN)/kringloop serve

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check service integrations tests bench migrations

migrate: $(STAMP)
	$(BIN)/kringloop migrate

check: $(STAMP)
	$(BIN)/alembic check

bench: $(STAMP)
	$(BIN)/python bench/device_read.py

clean:
	rm -rf $(VENV) data .pytest_cache
