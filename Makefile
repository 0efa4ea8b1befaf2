# huzhu — two commands: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HUZHU_DATA_DIR ?= $(CURDIR)/var
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-test lint check messages clean totp bench

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Editable for development; .ci/run also checks a plain `pip install .`.
$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The worker runs the background jobs beside the web server and is stopped when the server
# stops (Ctrl-C included): one command still brings everything up and down. Jobs a killed
# worker left "running" are marked interrupted before it starts (huzhu jobs_recover).
run: install
	$(BIN)/huzhu migrate --no-input
	$(BIN)/huzhu demo
	@echo ""
	@echo "工作人员控制台 Staff console:  http://$(HOST):$(PORT)/console/"
	@echo "职工移动端   Member portal:   http://$(HOST):$(PORT)/m/"
	@echo "二次验证码   Second factor:   make totp NAME=district"
	@echo "后台任务     Background jobs: huzhu db_worker, started and stopped with the server"
	@echo ""
	$(BIN)/huzhu jobs_recover --worker-starting
	$(BIN)/huzhu db_worker --no-reload --verbosity 1 & worker=$$!; \
	trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; trap 'exit 130' INT TERM; \
	DEBUG=$${DEBUG:-0} HUZHU_SIMULATED_BANK=$${HUZHU_SIMULATED_BANK:-1} $(BIN)/huzhu runserver $(HOST):$(PORT)

lint: install-test
	$(BIN)/ruff check huzhu tests benchmarks
	$(BIN)/ruff format --check huzhu tests benchmarks
	$(BIN)/mypy

check: install-test
	$(BIN)/huzhu makemigrations --check --dry-run

test: lint check
	$(BIN)/pytest -n 2 $(PYTEST_ARGS)

messages: install-test
	cd huzhu && ../$(BIN)/huzhu makemessages -l zh_Hans --no-obsolete && ../$(BIN)/huzhu compilemessages -l zh_Hans

# Load benchmark (gunicorn, SQLite and PostgreSQL, 300 and 100,000 members): benchmarks/README.md.
bench: install-test
	$(BIN)/python benchmarks/load_bench.py $(BENCH_ARGS)

# The current authenticator code of a demo user (the data folder of `make run`).
totp: install
	@$(BIN)/huzhu totp $(or $(NAME),district)

clean:
	rm -rf $(VENV) build *.egg-info
