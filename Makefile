# napflow: `make run` serves the demo on SQLite, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Reinstalled only when pyproject.toml changes (or the venv is new).
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 5000

.PHONY: install run test lint clean bench

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# --no-compile: pip would byte-compile every module of every package (pandas, numpy...) at
# install, about 40% of the install's CPU; Python compiles the few it imports when it does.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --no-compile -e '.[dev]'
	touch $@

run: $(STAMP)
	$(BIN)/napflow init-db
	$(BIN)/napflow demo
	$(BIN)/napflow serve --host $(HOST) --port $(PORT)

# pytest rewrites the asserts of every module of its plugins' packages (schemathesis,
# hypothesis: ~400 modules, ~10 s) and caches the result as bytecode, unless
# PYTHONDONTWRITEBYTECODE is set, as some shells do: the empty value lets it cache.
# pytest-xdist runs the tests in one worker per core (JOBS=0: in this one process); it hands
# them out one at a time, the longest first (tests/conftest.py), so the workers end together.
JOBS ?= auto
test: $(STAMP)
	PYTHONDONTWRITEBYTECODE= $(BIN)/pytest -n $(JOBS) --maxschedchunk 1 tests/

# Benchmark (see README, Performance): throughput against a bare ceiling, latency, memory, scale.
BENCH_SCALE ?= 1000000
BENCH_MEMORY_TRANSITIONS ?= 100000
bench: $(STAMP)
	BENCH_MEMORY_TRANSITIONS=$(BENCH_MEMORY_TRANSITIONS) $(BIN)/python bench/run.py
	if [ -f bench/scale.py ]; then BENCH_SCALE=$(BENCH_SCALE) $(BIN)/python bench/scale.py; \
	else echo "bench/scale.py not there: no scale figures"; fi

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
