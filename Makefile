# The two commands of the README: `make demo` and `make test`. Both set up
# everything they need on a fresh Debian 12 machine with Python 3.11.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench sysdeps postgres clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

# System packages, installed with apt-get only when missing.
sysdeps:
	@scripts/ensure-sysdeps.sh

demo: $(STAMP) sysdeps
	scripts/demo.sh

lint: $(STAMP)
	$(BIN)/ruff check engine tests bench
	$(BIN)/ruff format --check engine tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

# The storage tests run on SQLite and on PostgreSQL, every time: the machine's
# server at 127.0.0.1:5432 or, where there is none, a throwaway one under var/.
pytest: $(STAMP) sysdeps
	PG_TEST_URL="$$(scripts/ensure-postgres.sh)" $(BIN)/pytest

test: lint typecheck pytest

bench: $(STAMP) sysdeps
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) var build *.egg-info
