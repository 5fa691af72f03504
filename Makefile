# Two commands for a newcomer; each creates the virtual environment when it is missing.
#   make preview STACK=dev   what `pulumi up` would create for a stack (offline, no cloud account)
#   make test                the whole test suite
VENV ?= .venv
PYTHON ?= python3
STACK ?= dev
BIN := $(VENV)/bin

.PHONY: preview test lint check clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

preview: $(VENV)/.installed
	$(BIN)/eksplatform-preflight $(STACK)

# One pytest worker per core (pytest-xdist); each file runs whole on one worker, so module
# fixtures are built once, in the order pytest collects them: xdist's default (most tests first)
# left the slow files of few tests for the end (benchmarks/README.md, "Test suite").
test: $(VENV)/.installed
	PYTHON=$(BIN)/python .ci/test.sh -n auto --dist loadfile --no-loadscope-reorder  # in parallel; exit 5 (no tests) fails

# Each example is a program of its own: their __main__ modules would clash in one mypy run.
lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy eksplatform docgen tests benchmarks bootstrap __main__.py  # components/ and policies/ through eksplatform/
	for example in examples/*/; do $(BIN)/mypy "$$example" || exit 1; done

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
