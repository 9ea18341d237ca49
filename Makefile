# The README's two commands: `make demo` and `make test`. Everything lives in .venv.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EDITABLES := -e '.[test,azure,vertex]' $(foreach p,$(wildcard plugins/*/pyproject.toml),-e $(dir $(p))) $(if $(wildcard localstack/pyproject.toml),-e localstack)

.PHONY: test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): $(BIN)/python pyproject.toml $(wildcard plugins/*/pyproject.toml) $(wildcard localstack/pyproject.toml)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet $(EDITABLES)
	touch $(STAMP)

install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check hpo_bridge tests $(wildcard plugins) $(wildcard localstack) $(wildcard benchmarks) $(wildcard examples)

clean:
	rm -rf $(VENV)
