# Two commands on a fresh machine: `make run` and `make test`. Each sets itself up.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# The address phones use: on a laptop serving a room, `make run HOST=0.0.0.0
# PUBLIC_URL=http://192.168.1.20:8000` (the laptop's address on the room's Wi-Fi); the QR codes
# and printed links carry it, and only its host is allowed.
PUBLIC_URL ?= http://$(HOST):$(PORT)
PUBLIC_HOST := $(shell echo '$(PUBLIC_URL)' | sed -E 's#^[a-z]+://\[?([^]/:]+).*#\1#')
DEV_ENV := DEBUG=true ALLOWED_HOSTS=localhost,127.0.0.1,[::1],$(PUBLIC_HOST)

.PHONY: install run test test-fast lint fmt migrate seed browser vendor audit

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium drives the browser tests (Playwright cannot download its own here), and
# Debian's nginx runs deploy/nginx.conf in tests/test_production_stack.py.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  echo "Installing Debian's chromium for the browser tests"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; }
	@command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx || { \
	  echo "Installing Debian's nginx for the production-stack test"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nginx; }

migrate: install
	$(DEV_ENV) $(PY) manage.py migrate --noinput

seed: migrate
	$(DEV_ENV) $(PY) manage.py load_taxonomy
	$(DEV_ENV) $(PY) manage.py seed_demo --base-url $(PUBLIC_URL)

run: seed
	$(DEV_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

test: install browser audit
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m pytest

test-fast: install
	$(PY) -m pytest -m "not e2e"

# Security: bandit over the app code (accepted findings explained in pyproject.toml), then
# pip-audit over the installed environment. A finding fails; an unreachable vulnerability
# service only warns (scripts/pip_audit.py), so an offline build still runs its tests.
audit: install
	$(PY) -m bandit -c pyproject.toml -r commonground taxonomy sessions -q
	$(PY) scripts/pip_audit.py

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

fmt: install
	$(PY) -m ruff check --fix .
	$(PY) -m ruff format .

# Re-vendor front-end assets from the npm registry at the versions in package.json.
vendor:
	bash scripts/vendor-static.sh
