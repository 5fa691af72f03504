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
	$(BIN)/python -m preflight $(STACK)

test: $(VENV)/.installed
	$(BIN)/python -m pytest

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy components capacity cost policies preflight ops docgen tests benchmarks bootstrap __main__.py
	$(BIN)/mypy examples/consumer  # a program of its own: its __main__ would clash with ours

check: lint test

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
