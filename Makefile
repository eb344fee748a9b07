# The README's commands. Each target sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup browser axe demo test lint bench clean

setup: $(VENV)/.installed browser

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

browser: $(VENV)/.installed
	@bash scripts/get-browser.sh $(BIN)

axe:
	@bash scripts/get-axe.sh

demo: setup
	$(BIN)/checkout-auditor demo

test: setup axe
	$(BIN)/ruff check auditor tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n 2 -q

lint: $(VENV)/.installed
	$(BIN)/ruff check auditor tests bench
	$(BIN)/ruff format --check auditor tests bench
	$(BIN)/mypy

bench: setup
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) reports build *.egg-info .cache
