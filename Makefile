# The two commands: `make run` starts the whole product; `make test` runs the whole suite.
# Everything the project needs is installed by these targets (into .venv and contracts/node_modules).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM_STAMP := contracts/node_modules/.installed
# A real IPFS node (js-ipfs) for the artifacts tests; tests only, so setup-dev installs it.
IPFS_STAMP := tools/ipfs/node_modules/.installed

.PHONY: setup setup-dev run test lint format contracts bench clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt | $(VENV)/bin/python
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements-dev.txt
	touch $@

# `npm install`, not `npm ci`: anvil's other-platform binaries are optional packages the lock
# cannot list when the registry lacks them, and `npm ci` then calls the lock out of sync.
$(NPM_STAMP): contracts/package.json contracts/package-lock.json
	cd contracts && npm install --no-audit --no-fund --loglevel=error
	touch $@

setup: $(VENV)/.installed $(NPM_STAMP)

$(IPFS_STAMP): tools/ipfs/package.json tools/ipfs/package-lock.json
	cd tools/ipfs && npm ci --no-audit --no-fund --loglevel=error
	touch $@

setup-dev: setup $(VENV)/.installed-dev $(IPFS_STAMP)

run: setup
	$(PY) manage.py runstack

test: setup-dev
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: setup-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Recompile contracts/src/*.sol into contracts/build/*.json (committed; a test checks freshness).
contracts: $(NPM_STAMP)
	cd contracts && node scripts/compile.mjs

clean:
	rm -rf var/celery var/test-*
