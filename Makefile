# Quorum: `make run` (demo on http://127.0.0.1:8000) and `make test` (the whole suite).
# Production mode: export DATABASE_URL=postgres://… and REDIS_URL=redis://… first.
# ZOOM_FAKE=1 make run also serves the fake Zoom (manage.py fake_zoom, port 8765) and points Quorum at it.

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000

# The first Python ≥ 3.12 found: $PYTHON, python3.13/3.12 on PATH, then pyenv's versions.
FIND_PYTHON = for p in "$$PYTHON" python3.14 python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  [ -n "$$p" ] || continue; \
	  if "$$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
	    echo "$$p"; exit 0; fi; \
	done; echo "No Python 3.12 or newer found: install one, or set PYTHON=/path/to/python3.12" >&2; exit 1

.PHONY: run test venv lint migrate seed worker clean bench serve

$(VENV)/.installed: pyproject.toml
	@py=$$($(FIND_PYTHON)) && echo "Using $$py ($$($$py --version))" && \
	  ( [ -x $(PY) ] || $$py -m venv $(VENV) )
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

migrate: venv
	@mkdir -p var
	$(PY) manage.py migrate --no-input
	$(PY) manage.py createcachetable

seed: migrate
	$(PY) manage.py seed_demo

run: seed
	@$(PY) manage.py demo_logins
	@echo "Quorum: http://$(HOST):$(PORT)/  (API docs: /api/docs/, admin: /admin/)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(PY) manage.py run_huey --workers 2 >var/huey.log 2>&1 & \
	  $(if $(filter 1 true yes on,$(ZOOM_FAKE)),$(PY) manage.py fake_zoom >var/fake_zoom.log 2>&1 &) \
	  $(PY) manage.py runserver --insecure $(HOST):$(PORT)  # --insecure: serve /static/ (minutes.js) with DEBUG off

# The production topology on this machine (nginx, uvicorn workers, two huey consumers, one
# scheduler) on PostgreSQL + Redis, started if not running: see "Serving in production" in README.
serve: venv
	deploy/serve.sh

worker: venv
	$(PY) manage.py run_huey --workers 2

# ical.js (Thunderbird's parser) for the invitation tests; skipped by those tests without node.
ICALJS := integrations/calendar/tests/js
$(ICALJS)/node_modules/.package-lock.json: $(ICALJS)/package-lock.json
	@if command -v npm >/dev/null; then cd $(ICALJS) && npm ci --no-audit --no-fund --silent; \
	  else echo "npm not found: the ical.js checks will be skipped"; fi

icaljs: $(ICALJS)/node_modules/.package-lock.json

test: venv icaljs
	$(PY) -m ruff check .
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .

bench: venv
	$(PY) bench/availability.py

clean:
	rm -rf $(VENV) var

# Rebuild minutes/static/minutes/yjs.bundle.js (Yjs, MIT) from npm; the built file is committed.
minutes-js:
	cd minutes/js && npm ci --no-audit --no-fund && npm run build
