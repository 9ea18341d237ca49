# The README's two commands: `make demo` and `make test`. Everything lives in .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EDITABLES := -e '.[test,examples,azure,vertex]' $(foreach p,$(wildcard plugins/*/pyproject.toml),-e $(dir $(p))) $(if $(wildcard localstack/pyproject.toml),-e localstack)

.PHONY: demo test lint typecheck install clean bench bench-quick chromium

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Node programs the emulators start (Azurite for `hpo-bridge emulate azure`): npm ci into
# localstack/node/node_modules, from the committed package-lock.json.
NODE_DIR := localstack/node
NODE_STAMP := $(NODE_DIR)/node_modules/.installed

$(STAMP): $(BIN)/python pyproject.toml $(wildcard plugins/*/pyproject.toml) $(wildcard localstack/pyproject.toml) $(NODE_STAMP)
	$(BIN)/pip install --quiet $(EDITABLES)
	$(MAKE) --no-print-directory chromium
	touch $(STAMP)

# The report's browser test (tests/e2e/test_report_browser_e2e.py) drives the distribution's
# Chromium with Playwright (the `test` extra; no browser download): installed here when
# missing and we are root (CI), else named as the one thing to install by hand.
chromium:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	{ if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else echo "note: the report's browser test needs Chromium: sudo apt-get install chromium"; fi; }

$(NODE_STAMP): $(NODE_DIR)/package.json $(NODE_DIR)/package-lock.json
	cd $(NODE_DIR) && npm ci --no-audit --no-fund --loglevel=error
	touch $(NODE_STAMP)

install: $(STAMP)

# The quickstart: TPE + median stopping over SGDClassifier on scikit-learn's digits.
DEMO_DIR := studies/quickstart-demo
demo: $(STAMP)
	rm -rf $(DEMO_DIR)
	$(BIN)/hpo-bridge run examples/quickstart/spec.yaml --study-dir $(DEMO_DIR)
	$(BIN)/hpo-bridge results $(DEMO_DIR)

test: $(STAMP)
	$(BIN)/python -m pytest -q

# ruff, then the layer rules of DESIGN.md as import-linter contracts ([tool.importlinter]).
lint: $(STAMP)
	$(BIN)/ruff check hpo_bridge tests $(wildcard plugins) $(wildcard localstack) $(wildcard benchmarks) $(wildcard examples)
	$(BIN)/lint-imports

# mypy over hpo_bridge and every plugin package under plugins/ ([tool.mypy]).
TYPED_PACKAGES := hpo_bridge $(notdir $(patsubst %/,%,$(dir $(wildcard plugins/*/hpo_bridge_*/__init__.py))))
typecheck: $(STAMP)
	MYPYPATH="$$(printf '%s:' $(wildcard plugins/*/))" $(BIN)/mypy $(foreach p,$(TYPED_PACKAGES),-p $(p))

# Benchmarks against peers (optuna, Syne Tune): the `bench` extra holds the peers.
# Full run <= 30 minutes (results in benchmarks/results/latest.*, committed); quick run
# < 3 minutes (benchmarks/results/quick/, not committed: the full figures stay intact).
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/pip install --quiet -e '.[bench]'
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks

bench-quick: $(BENCH_STAMP)
	$(BIN)/python -m benchmarks --quick --out benchmarks/results/quick

clean:
	rm -rf $(VENV)
