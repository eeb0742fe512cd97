# Two commands: `make run` (dashboard on data/oversight.duckdb, demo data on first start) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8501

# The PostgreSQL store (issue 16) runs on the `postgres` extra, which pins DuckDB 1.5.5 (the version whose postgres
# extension is on PyPI): a second virtual environment, so that the default install stays on DuckDB 2.0.
PGVENV := .venv-postgres
PGBIN := $(PGVENV)/bin
PGSTAMP := $(PGVENV)/.installed

.PHONY: install install-postgres run test test-postgres lint bench bench-postgres demo clean

install: $(STAMP)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install-postgres: $(PGSTAMP)

$(PGSTAMP): pyproject.toml
	$(PYTHON) -m venv $(PGVENV)
	$(PGBIN)/pip install --quiet --upgrade pip
	$(PGBIN)/pip install --quiet -e '.[dev,postgres]'
	touch $(PGSTAMP)

# The same launcher as an installed package's `oversight dashboard` (its Streamlit options are app/streamlit.toml).
run: $(STAMP)
	$(BIN)/oversight dashboard --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m pytest

# The second suite (CI runs it after `make test`): on DuckDB 1.5.5, every test that works through a connection runs on
# a PostgreSQL database of a throw-away cluster the tests start (tests/pgcluster.py; needs Debian's postgresql, which
# .ci/run installs), with the tests marked `postgres`; then the embedded suite again on DuckDB 1.5.5, which proves the
# code on both DuckDB versions. tests/conftest.py prints the PostgreSQL selection.
test-postgres: $(STAMP) $(PGSTAMP)
	OVERSIGHT_TEST_STORE=postgres $(PGBIN)/python -m pytest
	$(PGBIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .

bench: $(STAMP)
	$(BIN)/python bench/cli.py
	$(BIN)/python bench/ingest.py
	$(BIN)/python bench/checks.py
	$(BIN)/python bench/draw.py
	$(BIN)/python bench/dashboard.py
	$(BIN)/python bench/limits.py

# Ingest of the 1M-row CSV and the full check run at 1M requests, on the embedded file and on PostgreSQL, in one run.
bench-postgres: $(STAMP) $(PGSTAMP)
	$(PGBIN)/python bench/postgres.py --embedded-python $(BIN)/python

demo: $(STAMP)
	$(BIN)/oversight demo

clean:
	rm -rf $(VENV) $(PGVENV) .pytest_cache
