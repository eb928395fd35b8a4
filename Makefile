# The two commands: `make run` starts the whole product; `make test` runs the whole suite.
# Everything the project needs is installed by these targets (into .venv and contracts/node_modules).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
NPM_STAMP := contracts/node_modules/.installed
# A real IPFS node (js-ipfs) for the artifacts tests; tests only, so setup-dev installs it.
IPFS_STAMP := tools/ipfs/node_modules/.installed

.PHONY: setup setup-dev run test lint format contracts vendor-js bench prod-check prod-packages clean property slither

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
# `--no-save`: npm would otherwise rewrite the committed lock with whichever optional platform
# packages this registry serves today, leaving a fresh clone dirty after `make test`.
$(NPM_STAMP): contracts/package.json contracts/package-lock.json
	cd contracts && npm install --no-save --no-audit --no-fund --loglevel=error
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

# Re-copy pinned third-party browser modules (uPlot, axe-core) from npm into static/vendor/ (committed).
vendor-js:
	cd tools/vendor-js && npm ci --no-audit --no-fund --loglevel=error
	node tools/vendor-js/vendor.mjs

# Recompile contracts/src/*.sol into contracts/build/*.json (committed; a test checks freshness).
contracts: $(NPM_STAMP)
	cd contracts && node scripts/compile.mjs

# The contract property tests (licence time conserved, wei in = wei out) with many more
# examples than the suite runs.
property: setup-dev
	HYPOTHESIS_PROFILE=explore PROPERTY_EXAMPLES=$${PROPERTY_EXAMPLES:-300} $(PY) -m pytest -q -p no:cacheprovider \
	  chain/tests/test_licence_time_property.py chain/tests/test_splits_property.py

# Slither over the product contracts, offline on the pinned solc-js (tools/slither/solc shim).
# Its own venv: Slither's dependencies stay out of the app's. Findings: docs/security.md.
SLITHER_VENV := .venv-slither
$(SLITHER_VENV)/.installed:
	$(PYTHON) -m venv $(SLITHER_VENV)
	$(SLITHER_VENV)/bin/pip install -q --disable-pip-version-check slither-analyzer==0.11.6
	touch $@

slither: $(NPM_STAMP) $(SLITHER_VENV)/.installed
	$(SLITHER_VENV)/bin/python tools/slither/run.py

# nginx and wrk from the Debian packages (prod-check and the load test run them).
prod-packages:
	@command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] && command -v wrk >/dev/null 2>&1 \
	  || { export DEBIAN_FRONTEND=noninteractive; \
	       apt-get install -y --no-install-recommends nginx wrk \
	       || { apt-get update -qq && apt-get install -y --no-install-recommends nginx wrk; }; }

# The production layout of docs/deploy.md on loopback (PostgreSQL, Redis, anvil, gunicorn behind
# nginx, Celery workers incl. two GPU-host queues), the whole purchase → download → compute flow
# through nginx, then everything stopped (tools/prod/check.py).
prod-check: setup prod-packages
	$(PY) tools/prod/check.py

# Every benchmark in bench/, one run, into docs/performance.md (machine + summary first).
bench: setup-dev prod-packages
	$(PY) bench/run_all.py $(BENCH_ARGS)

clean:
	rm -rf var/celery var/test-*
