# The two set-up commands are `make run` and `make test`; both install first when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run test bench lint clean

install: $(STAMP)

$(STAMP): pyproject.toml scripts/system-deps.sh web/package-lock.json web/build.mjs $(wildcard web/src/*) runner/supervisor.c runner/launcher.c
	scripts/system-deps.sh
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	cd web && npm ci --no-audit --no-fund --silent && npm run --silent build
	$(BIN)/python -c 'from runner.native import build_launcher, build_native_supervisor; assert build_native_supervisor() and build_launcher()'
	touch $(STAMP)

run: install
	$(BIN)/duet serve --host 127.0.0.1 --port 8000

test: install
	$(BIN)/ruff check .
	$(BIN)/pytest -n 2 --dist loadfile

bench: install
	$(BIN)/python -m bench.api
	$(BIN)/python -m bench.accounts
	$(BIN)/python -m bench.sandbox
	$(BIN)/python -m bench.runs
	$(BIN)/python -m bench.test_runs
	$(BIN)/python -m bench.kube
	$(BIN)/python -m bench.collab --load all
	$(BIN)/python -m bench.web

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .duet .pytest_cache
