# Two commands set up a fresh machine: `make demo` and `make test`.
# Each creates or refreshes .venv from the pinned lock file, then does its job.
# Re-running is quick: the venv is rebuilt only when requirements.lock or
# pyproject.toml change (the stamp file records the last install).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: venv demo test check lab dashboard bench clean-venv debian-test-deps node-tools help

help:
	@echo "make demo       the trial day: calibration, training, closed loop (glove, adaptive stimulation), records"
	@echo "make check      the fast tier for iterations: every test not marked slow or browser (a few minutes)"
	@echo "make test       the whole test suite (installs chromium, poppler-utils, postgresql and the BIDS validator when missing)"
	@echo "make lab        JupyterLab on notebooks/"
	@echo "make dashboard  the clinicians' Voila dashboard"
	@echo "make bench      the benchmarks (JSON + tables)"

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@scripts/check-python.sh $(PYTHON)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@# fill the numba cache once: the first `make demo` is then as fast as the second (issue 18)
	$(BIN)/workbench warmup
	@touch $@

# PostgreSQL for the records tests, Debian's Chromium for the browser tests and
# PDF reports (no browser download), poppler-utils to render and read PDFs.
debian-test-deps:
	@scripts/ensure-debian-packages.sh postgresql chromium poppler-utils

# The official BIDS validator from the npm registry, into a local folder
# (node is on the machine; nothing is installed globally).
NODE_TOOLS := tools/node
BIDS_VALIDATOR := $(NODE_TOOLS)/node_modules/.bin/bids-validator
node-tools: $(BIDS_VALIDATOR)
$(BIDS_VALIDATOR): tools/package.json tools/package-lock.json
	@scripts/ensure-node-tools.sh $(NODE_TOOLS)

demo: $(STAMP)
	$(BIN)/workbench demo

# WORKERS=N runs the tests on N pytest-xdist workers (default 3 on the CI machine's 2 cores: a third of
# the suite's time is real time, closed-loop blocks, LabRecorder and browsers waiting, and with 2 workers
# the cores were busy 67 % of it; 2 workers took 35 min, 3 took 25.5 on the 2-core VM); each worker has
# its own LSL session (LSL discovery is otherwise machine-wide), so LSL tests run on every worker;
# tests/conftest.py schedules slow tests first (xdist 3.8's own group markers are ignored under pytest 9).
# One process (WORKERS=0) takes about 45 minutes, past CI's 40.
WORKERS ?= 3

test: $(STAMP) debian-test-deps node-tools
	scripts/run-tests.sh $(BIN)/python -m pytest -n $(WORKERS) --dist loadgroup $(PYTEST_ARGS)

# The fast tier for one's own iterations (under 5 minutes on two cores): what is not marked slow or
# browser, the records on SQLite only (PostgreSQL's database per test is most of the records' time),
# and each property test with a quarter of its examples (tests/budget.py). `make test` runs it all.
# PYTHONDONTWRITEBYTECODE is cleared so that pytest keeps its rewritten test modules between runs
# (collection on each worker: 23 s the first time, 16 s after).
# Two workers: this tier is CPU-bound (few real-time waits), and a third worker on two cores made it slower.
CHECK_WORKERS ?= 2
check: $(STAMP) debian-test-deps node-tools
	WORKBENCH_TEST_TIER=check PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -q -n $(CHECK_WORKERS) --dist loadgroup \
		-m "not slow and not browser and not postgres" $(PYTEST_ARGS)

# JupyterLab refuses to start as root without --allow-root (containers, CI machines).
# Both targets use the checkout's workspace/ (workbench/config.py) unless WORKBENCH_HOME says otherwise.
ALLOW_ROOT := $(if $(filter 0,$(shell id -u)),--allow-root,)
DASHBOARD_ARGS ?=

lab: $(STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --ServerApp.ip=127.0.0.1 $(ALLOW_ROOT)

# Voila on 127.0.0.1:8866 with a token printed at start; DASHBOARD_ARGS="--port N --token-file FILE --ip ADDR" (or WORKBENCH_DASHBOARD_TOKEN).
dashboard: $(STAMP)
	$(BIN)/workbench dashboard $(DASHBOARD_ARGS)

# Every benchmark the README lists, each with a JSON object and a table; a script
# another issue has not delivered yet is skipped with a message. Peers for the
# side-by-side columns: pip install -r benchmarks/requirements-peers.txt
# (each benchmark says which peer is missing and runs without it).
BENCHMARKS := decoder acquisition records simulator player_realtime machine_latency closed_loop report reanalyze adaptation
bench: $(STAMP) debian-test-deps
	@for b in $(BENCHMARKS); do \
	  if [ -f benchmarks/$$b.py ]; then echo "== benchmarks/$$b.py"; $(BIN)/python benchmarks/$$b.py || exit 1; \
	  else echo "== benchmarks/$$b.py: not present yet, skipped"; fi; \
	done
	@echo "== benchmarks/player_drift.py --seconds 60 (the 10-minute check: --seconds 600)"
	@$(BIN)/python benchmarks/player_drift.py --seconds 60
	@echo "== benchmarks/soak.py --minutes 10 (the one-hour soak: --minutes 60)"
	@$(BIN)/python benchmarks/soak.py --minutes 10

clean-venv:
	rm -rf $(VENV)
