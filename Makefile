# mehvar: `make run` starts the demo at http://127.0.0.1:8000, `make test` runs every check.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: setup run demo worker test lint typecheck checks pytest e2e bench fmt messages clean

setup: $(VENV)/.installed src/mehvar/static/vendor/.built

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

node_modules/.package-lock.json: package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

src/mehvar/static/vendor/.built: node_modules/.package-lock.json scripts/build_static.py
	$(BIN)/python scripts/build_static.py
	touch $@

run: setup
	$(BIN)/mehvar migrate --noinput
	$(BIN)/mehvar demo --if-empty
	$(BIN)/mehvar feedback_demo --if-empty
	$(BIN)/mehvar service_demo --if-empty
	$(BIN)/mehvar analytics_refresh --if-stale --trigger demo
	@echo "mehvar: http://$(HOST):$(PORT)/  (the demo logins are printed above)"
	@trap 'kill 0' INT TERM EXIT; \
	  $(BIN)/mehvar run_huey --quiet & \
	  $(BIN)/mehvar runserver --noreload $(HOST):$(PORT)

demo: setup
	$(BIN)/mehvar migrate --noinput
	$(BIN)/mehvar demo
	$(BIN)/mehvar feedback_demo
	$(BIN)/mehvar service_demo
	$(BIN)/mehvar analytics_refresh --trigger demo

worker: setup
	$(BIN)/mehvar run_huey

test: setup checks pytest

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy src

checks: lint typecheck
	$(BIN)/lint-imports
	MEHVAR_TESTING=true $(BIN)/mehvar makemigrations --check --dry-run
	MEHVAR_ENV=production SECRET_KEY=$$($(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(50))') \
	  ALLOWED_HOSTS=mehvar.example $(BIN)/mehvar check --deploy --fail-level WARNING

pytest: setup
	bash scripts/ensure_chromium.sh
	$(BIN)/pytest -n 2 -p no:cacheprovider

e2e: setup
	bash scripts/ensure_chromium.sh
	$(BIN)/pytest -m e2e -p no:cacheprovider

bench: setup
	$(BIN)/python bench/import_customers.py
	$(BIN)/python bench/search_customers.py
	$(BIN)/python bench/analytics.py

fmt: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

messages: setup
	cd src/mehvar && ../../$(BIN)/mehvar makemessages -l fa --no-obsolete && ../../$(BIN)/mehvar compilemessages -l fa

clean:
	rm -rf $(VENV) node_modules src/mehvar/static/vendor var
