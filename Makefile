# Everyday commands. The only requirement is python3, version 3.11 or newer.
#   make run    install, migrate, create the demo page and serve it on http://127.0.0.1:8000/
#   make test   install and run the whole test suite
#   make lint   ruff and mypy

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
# Touched after a successful install, so the next run reinstalls only when the lock file or
# the project's metadata (console scripts) changed.
INSTALLED := $(VENV)/.installed
# Touched after `npm ci`, so the npm tools of the browser tests (axe-core, Lighthouse) are
# reinstalled only when package-lock.json changed. It lives in node_modules, which git ignores.
NODE_INSTALLED := node_modules/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# pytest options, e.g. make test PYTEST_ARGS="tests/commands -x"
PYTEST_ARGS ?=

.PHONY: install run test lint

install: $(INSTALLED)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || { \
	  echo "Heliograph needs Python 3.11 or newer as '$(PYTHON)'; found $$($(PYTHON) --version 2>&1)." >&2; \
	  echo "Install it, or name another interpreter: make PYTHON=python3.12 ..." >&2; \
	  exit 1; }
	$(PYTHON) -m venv $(VENV)

$(INSTALLED): requirements.lock pyproject.toml | $(BIN)/python
	@echo "Installing the locked dependencies into $(VENV)..."
	$(PIP) install --quiet --require-hashes -r requirements.lock
	$(PIP) install --quiet --no-deps -e .
	@touch $@

# Install scripts are skipped: the packages need none, and some try to download browsers.
$(NODE_INSTALLED): package.json package-lock.json
	@command -v npm >/dev/null || { \
	  echo "npm is missing: the browser tests need Node.js 18 or newer with npm (apt-get install -y nodejs npm)." >&2; \
	  exit 1; }
	@echo "Installing the locked npm packages into node_modules..."
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $@

run: $(INSTALLED)
	@$(BIN)/heliograph-admin migrate --verbosity 0
	@$(BIN)/heliograph-admin demo
	@echo "Heliograph is running at http://$(HOST):$(PORT)/ (Ctrl-C stops it)."
	@# The worker runs the background jobs beside the server and stops with it.
	@# Links name the address served, unless HELIOGRAPH_BASE_URL names another.
	@export HELIOGRAPH_BASE_URL="$${HELIOGRAPH_BASE_URL:-http://$(HOST):$(PORT)}"; \
	$(BIN)/heliograph-admin worker & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	HELIOGRAPH_DEFAULT_PAGE=demo $(BIN)/heliograph-admin serve --host $(HOST) --port $(PORT)

# Each run gets a fresh data directory, removed afterwards. A test process that runs out of
# tests takes some queued for the other (worksteal), so long tests do not end the run on one.
test: $(INSTALLED) $(NODE_INSTALLED)
	@data_dir="$$(mktemp -d)"; trap 'rm -rf "$$data_dir"' EXIT; \
	HELIOGRAPH_DATA_DIR="$$data_dir" $(BIN)/pytest -n 2 --dist worksteal $(PYTEST_ARGS)

lint: $(INSTALLED)
	$(BIN)/ruff check .
	$(BIN)/mypy heliograph
