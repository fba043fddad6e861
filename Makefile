# The two commands of the README: `make demo` and `make test`. Each installs what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSTEM_STAMP := $(VENV)/.system-packages

.PHONY: demo test test-sqlite test-postgresql lint serve scheduler bench

$(STAMP): pyproject.toml package.json package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	npm ci --no-audit --no-fund --loglevel=error  # web UI assets (govuk-frontend, bpmn-js) into node_modules/
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/safeshare demo

serve: $(STAMP)
	$(BIN)/safeshare serve

test: test-sqlite test-postgresql

# Debian packages for PDF documents and browser tests (tools/install-system-packages.sh: only what is missing).
$(SYSTEM_STAMP): tools/install-system-packages.sh | $(STAMP)
	bash tools/install-system-packages.sh
	touch $(SYSTEM_STAMP)

test-sqlite: $(STAMP) $(SYSTEM_STAMP)
	SAFESHARE_TEST_DATABASE=sqlite $(BIN)/python -m pytest -q

test-postgresql: $(STAMP) $(SYSTEM_STAMP)
	SAFESHARE_TEST_DATABASE=postgresql $(BIN)/python -m pytest -q -m "not no_database"

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo  # the layers and no cycles: [tool.importlinter] in pyproject.toml
	$(BIN)/python tools/dead_code.py  # vulture: nothing unused (hooks a library calls by name are listed there)

# The benchmark (README "Benchmark"): a table on stdout, JSON under bench/results/. BENCH_ARGS=--quick for a smoke run.
bench: $(STAMP)
	$(BIN)/python -m bench.run $(BENCH_ARGS)

scheduler: $(STAMP)
	$(BIN)/safeshare scheduler
