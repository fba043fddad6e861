# The two commands of the README: `make demo` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test test-sqlite test-postgresql lint serve scheduler bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/safeshare demo

test: test-sqlite test-postgresql

test-sqlite: $(STAMP)
	SAFESHARE_TEST_DATABASE=sqlite $(BIN)/python -m pytest -q

test-postgresql: $(STAMP)
	SAFESHARE_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
