# make test: create or refresh .venv, install the project with its test extras, run every check.
# make demo: the main job end to end (an embedded Redis, a worker, the sample claims).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: test demo lint typecheck unit system-deps bench reference schemas clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/activate
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: $(VENV)/.installed
	$(BIN)/mypy

# promtool and prometheus for tests/deploy: installed (apt-get) when missing and we are root;
# otherwise the script says what is missing, and the tests that need them fail naming it.
system-deps:
	bash deploy/ci/install-system-deps.sh

# The suite in parallel: TEST_JOBS processes (pytest-xdist; auto: one per core), each with its own Redis on a free port.
# --dist loadfile keeps each module's tests in one process, so module fixtures (a cluster, a recording) start once;
# tests/conftest.py puts the modules with slow and fault tests first. TEST_JOBS=0 runs it in this process alone.
TEST_JOBS ?= auto

unit: $(VENV)/.installed system-deps
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile

test: lint typecheck unit

demo: $(VENV)/.installed
	$(BIN)/claim-edit demo

bench: $(VENV)/.installed
	$(BIN)/python -m bench

reference: $(VENV)/.installed
	$(BIN)/python -m edits.reference.bundled

schemas: $(VENV)/.installed
	$(BIN)/python -m contracts.json_schemas
	$(BIN)/python -m workers.asyncapi

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
