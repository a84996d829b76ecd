# Lockstep — `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# Two workers (the CI machine has two cores); `make test PYTEST_ARGS=` runs in one process.
PYTEST_ARGS ?= -n 2 --dist worksteal
# `make bench`: the scale bench on SQLite and PostgreSQL (docs/PERFORMANCE.md), not part of
# `make test`. Each size is generated once per database (kept in BENCH_DIR and the bench
# database); `make bench SIZES="S M"` limits the sizes.
SIZES ?= S M L
BENCH_DIR ?= var/bench
BENCH_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/lockstep_bench)
BENCH_ARGS ?= --quiet-load 2 --quiet-wait 120

.PHONY: demo test lint typecheck migrations-check pytest lock clean bench

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/lockstep demo

test: $(STAMP) lint typecheck migrations-check pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

migrations-check: $(STAMP)
	DJANGO_SETTINGS_MODULE=tests.settings $(BIN)/python -m lockstep.cli makemigrations --check --dry-run

pytest: $(STAMP)
	$(BIN)/pytest $(PYTEST_ARGS)

bench: $(STAMP)
	LOCKSTEP_DATA_DIR=$(BENCH_DIR)/sqlite DATABASE_URL= $(BIN)/lockstep bench run \
		--sizes $(SIZES) --json $(BENCH_DIR)/sqlite.json $(BENCH_ARGS)
	LOCKSTEP_DATA_DIR=$(BENCH_DIR)/postgresql DATABASE_URL='$(BENCH_DATABASE_URL)' \
		$(BIN)/lockstep bench run --sizes $(SIZES) --json $(BENCH_DIR)/postgresql.json $(BENCH_ARGS)
	@# the same PostgreSQL database with its JIT compiler on (Lockstep turns it off by
	@# default: docs/PERFORMANCE.md)
	LOCKSTEP_DATA_DIR=$(BENCH_DIR)/postgresql \
		DATABASE_URL='$(BENCH_DATABASE_URL)$(if $(findstring ?,$(BENCH_DATABASE_URL)),&,?)options=-c%20jit%3Don' \
		$(BIN)/lockstep bench run --sizes $(SIZES) --json $(BENCH_DIR)/postgresql-jit-on.json $(BENCH_ARGS)
	@echo
	@LOCKSTEP_DATA_DIR=$(BENCH_DIR)/sqlite DATABASE_URL= $(BIN)/lockstep bench report \
		$(BENCH_DIR)/sqlite.json $(BENCH_DIR)/postgresql.json $(BENCH_DIR)/postgresql-jit-on.json

lock: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	(echo "# Exact versions of every dependency (runtime and development), for Python 3.11."; \
	 echo "# Regenerate with: make lock"; \
	 $(BIN)/pip freeze --exclude-editable | grep -vi '^lockstep') > requirements.lock

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts
