# Quorum: `make run` (demo on http://127.0.0.1:8000) and `make test` (the whole suite).
# Production mode: export DATABASE_URL=postgres://… and REDIS_URL=redis://… first.
# ZOOM_FAKE=1 make run also serves the fake Zoom (manage.py fake_zoom, port 8765) and points Quorum at it.

VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# run: the server and the huey worker build e-mailed links from HOST/PORT (settings.SITE_URL).
export HOST PORT

# The first Python ≥ 3.12 found: $PYTHON, python3.13/3.12 on PATH, then pyenv's versions.
FIND_PYTHON = for p in "$$PYTHON" python3.14 python3.13 python3.12 python3 \
	$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -rV); do \
	  [ -n "$$p" ] || continue; \
	  if "$$p" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
	    echo "$$p"; exit 0; fi; \
	done; echo "No Python 3.12 or newer found: install one, or set PYTHON=/path/to/python3.12" >&2; exit 1

.PHONY: run test venv lint migrate seed worker clean bench static messages makemessages fonts serve

$(VENV)/.installed: pyproject.toml
	@py=$$($(FIND_PYTHON)) && echo "Using $$py ($$($$py --version))" && \
	  ( [ -x $(PY) ] || $$py -m venv $(VENV) )
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

venv: $(VENV)/.installed

migrate: venv static messages fonts
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

# Front-end packages from the npm registry (package-lock.json), copied into static/vendor/ and
# served by the app itself: hospital networks may be closed, so never a CDN.
static/vendor/.built: package-lock.json
	npm ci --no-audit --no-fund --silent
	@mkdir -p static/vendor/htmx
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx/
	@touch $@

static: static/vendor/.built

# ical.js (Thunderbird's parser) for the invitation tests; skipped by those tests without node.
ICALJS := integrations/calendar/tests/js
$(ICALJS)/node_modules/.package-lock.json: $(ICALJS)/package-lock.json
	@if command -v npm >/dev/null; then cd $(ICALJS) && npm ci --no-audit --no-fund --silent; \
	  else echo "npm not found: the ical.js checks will be skipped"; fi

icaljs: $(ICALJS)/node_modules/.package-lock.json

test: venv static icaljs messages fonts
	$(PY) -m ruff check .
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: venv
	$(PY) -m ruff check .

bench: venv
	$(PY) bench/availability.py

# The NĐ 30/2020 PDF embeds DejaVu Serif (every Vietnamese letter with its tone marks): Debian's
# fonts-dejavu-core (+ -extra for italics). Installed with apt when missing and we are root.
FONT_DIR ?= /usr/share/fonts/truetype/dejavu
fonts:
	@if [ ! -f $(FONT_DIR)/DejaVuSerif.ttf ] || [ ! -f $(FONT_DIR)/DejaVuSerif-Italic.ttf ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-dejavu-core fonts-dejavu-extra >/dev/null; \
	  else echo "Install the Debian packages fonts-dejavu-core fonts-dejavu-extra (PDF minutes need them), or set ARCHIVE_FONT_DIR"; exit 1; fi; \
	fi

clean:
	rm -rf $(VENV) var

# Rebuild minutes/static/minutes/yjs.bundle.js (Yjs, MIT) from npm; the built file is committed.
minutes-js:
	cd minutes/js && npm ci --no-audit --no-fund && npm run build

# Translations: .po files are committed, .mo files are built (msgfmt, from GNU gettext).
PO_FILES := $(wildcard locale/*/LC_MESSAGES/django.po locale/*/LC_MESSAGES/djangojs.po config/vendor_locale/*/LC_MESSAGES/django.po)
%.mo: %.po
	msgfmt --check-format -o $@ $<

messages: $(PO_FILES:.po=.mo)

# Collect every gettext string of the code into locale/vi and locale/en (django: Python and
# templates; djangojs: the browser scripts, served by /jsi18n/). Vietnamese is the
# source language: new vi entries get msgstr = msgid (msgen), the en ones wait for English.
makemessages: venv
	$(PY) manage.py makemessages -l vi -l en --no-location --no-wrap --ignore='.venv/*' --ignore='node_modules/*' \
	  --ignore='var/*' --ignore='tests/*' --ignore='bench/*' --ignore='static/vendor/*'
	sed -i '/^#, fuzzy$$/{N;s/^#, fuzzy\nmsgid ""$$/msgid ""/}' locale/vi/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po  # the header's only
	msgattrib --no-wrap --clear-fuzzy --empty -o locale/vi/LC_MESSAGES/django.po locale/vi/LC_MESSAGES/django.po
	msgattrib --no-wrap --clear-fuzzy --empty -o locale/en/LC_MESSAGES/django.po locale/en/LC_MESSAGES/django.po  # a guess is not a translation
	msgen --no-wrap -o locale/vi/LC_MESSAGES/django.po locale/vi/LC_MESSAGES/django.po
	sed -i '/^msgstr\[1\]/d' locale/vi/LC_MESSAGES/django.po  # Vietnamese has one plural form
	$(PY) manage.py makemessages -d djangojs -l vi -l en --no-location --no-wrap --ignore='.venv/*' --ignore='node_modules' \
	  --ignore='var/*' --ignore='tests/*' --ignore='bench/*' --ignore='static/vendor/*' --ignore='*.bundle.js' --ignore='minutes/js/*'
	sed -i '/^#, fuzzy$$/{N;s/^#, fuzzy\nmsgid ""$$/msgid ""/}' locale/vi/LC_MESSAGES/djangojs.po locale/en/LC_MESSAGES/djangojs.po
	msgattrib --no-wrap --clear-fuzzy --empty -o locale/vi/LC_MESSAGES/djangojs.po locale/vi/LC_MESSAGES/djangojs.po
	msgattrib --no-wrap --clear-fuzzy --empty -o locale/en/LC_MESSAGES/djangojs.po locale/en/LC_MESSAGES/djangojs.po
	msgen --no-wrap -o locale/vi/LC_MESSAGES/djangojs.po locale/vi/LC_MESSAGES/djangojs.po
	sed -i '/^msgstr\[1\]/d' locale/vi/LC_MESSAGES/djangojs.po
	$(MAKE) messages
