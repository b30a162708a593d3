# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: run test lint typecheck bench migrate check-migrations clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

migrate: $(STAMP)
	$(BIN)/python manage.py migrate --noinput

run: export DEBUG ?= true
run: migrate
	$(BIN)/python manage.py seed_demo
	@echo "Serving on http://127.0.0.1:$(PORT)/  (Ctrl-C stops)"
	$(BIN)/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

check-migrations: export DEBUG ?= true
check-migrations: $(STAMP)
	$(BIN)/python manage.py makemigrations --check --dry-run

test: $(STAMP) check-migrations
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: export DEBUG ?= true
typecheck: $(STAMP)
	$(BIN)/mypy .

# On demand, never part of `make test`: needs wrk, taskset and two cores (see README).
bench: $(STAMP)
	bench/run.sh

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
