# Two commands: `make run` (dashboard on data/oversight.duckdb, demo data on first start) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

.PHONY: install run test lint bench demo clean

install: $(STAMP)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The same launcher as an installed package's `oversight dashboard` (its Streamlit options are app/streamlit.toml).
run: $(STAMP)
	$(BIN)/oversight dashboard --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/checks.py
	$(BIN)/python bench/draw.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/limits.py

demo: $(STAMP)
	$(BIN)/oversight demo

clean:
	rm -rf $(VENV) .pytest_cache
