# Baton: `make run` to try it, `make test` to check it. See README.md.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
VENDOR := static/vendor

.PHONY: run setup install assets messages test schemathesis lint bench up migrate seed clean

run: setup ## Set up everything on SQLite, load demo data and serve http://$(HOST):$(PORT) (PORT=8101 make run)
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py seed_demo
	HOST=$(HOST) PORT=$(PORT) $(PY) manage.py run_embedded

setup: install assets messages migrate

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

assets: $(VENDOR)/.installed

# Front-end packages come from the npm registry and are served by Baton itself.
# npm ci also installs the dev packages the browser tests inject (axe-core),
# read from node_modules and never served.
# Brotli and gzip copies sit beside them: WhiteNoise sends those under `make
# run` too (`make up` serves the copies collectstatic makes).
$(VENDOR)/.installed: package.json package-lock.json | $(VENV)/.installed
	npm ci --no-audit --no-fund --loglevel=error
	mkdir -p $(VENDOR)
	cp node_modules/bootstrap/dist/css/bootstrap.min.css node_modules/bootstrap/dist/css/bootstrap.min.css.map \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js node_modules/bootstrap/dist/js/bootstrap.bundle.min.js.map \
	   node_modules/htmx.org/dist/htmx.min.js node_modules/idiomorph/dist/idiomorph.min.js \
	   node_modules/chart.js/dist/chart.umd.min.js node_modules/chart.js/dist/chart.umd.min.js.map \
	   node_modules/sortablejs/Sortable.min.js $(VENDOR)/
	$(PY) -m whitenoise.compress --quiet $(VENDOR) map gz br
	touch $@

messages: install ## Compile the translations (pure Python, no gettext needed)
	$(VENV)/bin/pybabel compile --domain django --directory locale --statistics 2>&1 | grep -v '^$$' || true

migrate: install
	$(PY) manage.py migrate --noinput

seed: migrate
	$(PY) manage.py seed_demo

test: install assets messages ## The whole suite (services are used when DATABASE_URL / CELERY_BROKER_URL are set)
	$(VENV)/bin/pytest

# Also part of `make test`: schemathesis against the OpenAPI schema, alone.
schemathesis: install ## Generated requests for every API operation: no 5xx, answers as the schema says
	$(VENV)/bin/pytest tests/api/test_schemathesis.py

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	@# The layering between apps (pyproject.toml [tool.importlinter]).
	$(VENV)/bin/lint-imports
	@# bandit warns about every node of a statement that carries a `# nosec` (noise).
	$(VENV)/bin/bandit -c pyproject.toml -r . -q 2> >(grep -v "nosec encountered" >&2)
	$(PY) manage.py makemigrations --check --dry-run

bench: install assets
	$(PY) -m bench

up: install assets messages ## The full stack (gunicorn, worker, beat) on the local PostgreSQL and Redis
	bash scripts/up.sh

clean:
	rm -rf $(VENV) node_modules $(VENDOR) staticfiles db.sqlite3*
