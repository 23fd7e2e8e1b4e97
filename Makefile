# The two commands: `make run` and `make test`. Everything else is a step they depend on.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
DATA   ?= data
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run test test-fast install install-dev install-bench java data model model-spark mixes export graphiql node-clients lint typecheck bench clean

run: install data model graphiql
	$(BIN)/crossfade serve --host $(HOST) --port $(PORT)

test: install-dev graphiql node-clients java
	bash scripts/redis.sh  # the real redis-server the shared-state tests start
	$(BIN)/python -m pytest
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/crossfade schema check --base HEAD~1  # the SDL against the previous commit's

# The quick loop: every test but the slow ones (a process spawned, or the full store built:
# tests/conftest.py marks the latter itself). Under a minute on 2 cores; `make test` runs all.
test-fast: install-dev graphiql
	$(BIN)/python -m pytest -m "not slow"

# Stamps depend on pyproject.toml, so a changed dependency list reinstalls. `make run` needs
# only the runtime set; `make test` adds the dev tools and the Spark extra (its tests run in
# the default suite).
install: $(VENV)/.installed
$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found (Python 3.11 is required)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

install-dev: $(VENV)/.installed-dev
$(VENV)/.installed-dev: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev,spark]'
	touch $@

install-bench: $(VENV)/.installed-bench
$(VENV)/.installed-bench: $(VENV)/.installed
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[bench]'
	touch $@

# The Java runtime Spark needs (Debian's, installed only when `java` is missing).
java:
	bash scripts/java.sh

data: install
	$(BIN)/crossfade data build

model: install data
	$(BIN)/crossfade train --if-stale

graphiql: install
	$(BIN)/crossfade assets fetch

# The JavaScript clients the tests drive (Apollo Client's BatchHttpLink), from the lockfile.
node-clients:
	bash scripts/node_clients.sh

# The batch path on Spark (local[*] unless CROSSFADE_SPARK_MASTER says otherwise): ALS
# trained over the exported log, then every listener's Discover Weekly and Daily Mixes.
model-spark: install-dev java data
	$(BIN)/crossfade train --engine spark

mixes: install-dev java data
	$(BIN)/crossfade mixes build --engine spark

export: install data
	$(BIN)/crossfade data export --out $(DATA)/export

# The whole matrix takes about 12 minutes on 2 cores; BENCH_QUICK=1 for a smoke run.
bench: install-bench data model
	bash bench/run.sh

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(DATA) gateway/static/vendor tests/node/node_modules
