# The two commands a newcomer needs: `make run` and `make test`. Each sets itself up.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Every package is pinned in requirements/*.txt (`make lock` writes them from pyproject.toml).
# uv installs them: it is several times faster than pip on a first install. Pinned here too.
UV_VERSION := 0.13.9
UV := $(BIN)/uv
UV_STAMP := $(VENV)/.uv-$(UV_VERSION)
# uv trusts the system's certificate store, as pip and curl do (where a TLS-inspecting proxy's
# certificate authority is installed), not only its built-in list.
export UV_SYSTEM_CERTS ?= true
APP_STAMP := $(VENV)/.installed-app
# The app and the development tools (tests, lint, types, benchmarks).
STAMP := $(VENV)/.installed
LOCK_APP := requirements/app.txt
LOCK_DEV := requirements/dev.txt
LOCAL_SETTINGS := .env.local
PIP_QUIET := --quiet --disable-pip-version-check

.PHONY: run test lint typecheck bench bench-faults bench-crash soak migrate check-migrations lock clean

# The venv gets no pip of its own (seeding it costs more CPU than installing everything else):
# the pip of the Python that made it installs uv into it, or, where that Python has no pip,
# ensurepip does after all. uv then installs the rest (`.venv/bin/uv pip install ...` by hand).
$(UV_STAMP):
	test -x $(BIN)/python || $(PYTHON) -m venv --without-pip $(VENV)
	if $(PYTHON) -m pip --version >/dev/null 2>&1; then \
	  $(PYTHON) -m pip --python $(BIN)/python install $(PIP_QUIET) uv==$(UV_VERSION); \
	else \
	  $(BIN)/python -m ensurepip --default-pip >/dev/null && \
	  $(BIN)/python -m pip install $(PIP_QUIET) uv==$(UV_VERSION); \
	fi
	touch $@

$(APP_STAMP): $(LOCK_APP) $(UV_STAMP)
	$(UV) pip install --quiet --python $(BIN)/python -r $(LOCK_APP)
	touch $@

$(STAMP): $(LOCK_DEV) $(APP_STAMP)
	$(UV) pip install --quiet --python $(BIN)/python -r $(LOCK_DEV)
	touch $@

# Written once and never overwritten: a development SECRET_KEY of this checkout's own (the
# django-insecure- prefix makes `check --deploy` refuse it) and DEBUG on. settings.py reads it
# as defaults, so manage.py and daphne need no exported variables. Delete it to regenerate.
$(LOCAL_SETTINGS):
	@echo "# This checkout's development settings, written by make (gitignored). Any variable" > $@.tmp
	@echo "# from the README's table may be added; the environment wins over this file." >> $@.tmp
	@$(PYTHON) -c "import secrets; print('SECRET_KEY=django-insecure-' + secrets.token_urlsafe(48))" >> $@.tmp
	@echo "DEBUG=true" >> $@.tmp
	@mv $@.tmp $@
	@echo "Wrote $@ (development SECRET_KEY, DEBUG=true)"

migrate: $(APP_STAMP) $(LOCAL_SETTINGS)
	$(BIN)/python manage.py migrate --noinput

# migrate has just run the system checks: seed_demo need not run them again. The worker runs
# in the background of the recipe's shell and the trap stops it however daphne ends (Ctrl-C,
# or failing to start): a background job ignores Ctrl-C, so it is sent SIGTERM, and waited for.
run: migrate
	$(BIN)/python manage.py seed_demo --skip-checks
	@echo "Serving on http://127.0.0.1:$(PORT)/ with one worker  (Ctrl-C stops both)"
	@$(BIN)/python manage.py run_worker --skip-checks & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/daphne -b 127.0.0.1 -p $(PORT) config.asgi:application

check-migrations: $(APP_STAMP) $(LOCAL_SETTINGS)
	$(BIN)/python manage.py makemigrations --check --dry-run

# TESTS narrows the run (CI: `make test TESTS="tests/integration tests/browser"`); empty: all.
test: $(STAMP) check-migrations
	$(BIN)/pytest $(TESTS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP) $(LOCAL_SETTINGS)
	$(BIN)/mypy .

# Re-pin after editing pyproject.toml's dependencies; pins that still fit are kept.
# `make lock UPGRADE=--upgrade` moves everything to the newest allowed versions
# (`UPGRADE="--upgrade-package django"` one package). The app's pins are the dev set's.
lock: $(UV_STAMP)
	$(UV) pip compile --quiet --universal --python-version 3.11 --custom-compile-command 'make lock' \
		--extra dev $(UPGRADE) pyproject.toml -o $(LOCK_DEV)
	$(UV) pip compile --quiet --universal --python-version 3.11 --custom-compile-command 'make lock' \
		--constraint $(LOCK_DEV) pyproject.toml -o $(LOCK_APP)

# On demand, never part of `make test`: needs wrk, taskset and two cores (see README).
bench: $(STAMP)
	bench/run.sh

# A call-out while the emulator drops, repeats and delays callbacks (`ARGS=--short` for CI);
# exits 1 if anyone's final state differs from the emulator's or a call was placed twice.
bench-faults: $(STAMP)
	$(BIN)/python -m bench.faults $(ARGS)

# kill -9 of the worker and daphne during declares, call-outs and an escalation (README,
# Reliability); ARGS="--short" for the couple of minutes CI runs.
bench-crash: $(STAMP)
	$(BIN)/python -m bench.crash $(ARGS)

# 30 minutes of WebSocket churn, callbacks and a call-out: RSS, descriptors, database
# connections and queues stay flat (README, Reliability); ARGS="--minutes 3" for a short one,
# ARGS="--db postgres --redis" scaled out. Exits 1 on a miss.
soak: $(STAMP)
	$(BIN)/python -m bench.soak $(ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 db.sqlite3-wal db.sqlite3-shm staticfiles
