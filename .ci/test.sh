#!/usr/bin/env bash
# The test suite, as .ci/run and the GitHub workflow both run it: PYTHON (default .venv/bin/python)
# -m pytest with the arguments given. pytest's exit code is kept, except 5 (no test collected),
# which is a broken suite here, not a pass: it becomes 1. With CI_TEST_STATUS set, that code is also
# written to the file it names: `make` turns any failing recipe into its own exit 2, so .ci/run
# (which runs the README's `make test`) reads pytest's code from there.
set -uo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"
# Bytecode is written, as Python does by default, even where the environment sets
# PYTHONDONTWRITEBYTECODE (this machine's does): without it every pytest process (each xdist
# worker, the suite's own subprocesses) compiled the project again and redid pytest's assertion
# rewriting of every test module, about 4 s of CPU per worker (benchmarks/README.md, "Test
# suite"). It goes to __pycache__/ beside the sources (ignored by git, left out of the wheel and
# the published pack), and Python checks it against each source's mtime and size at every import.
unset PYTHONDONTWRITEBYTECODE

"$python" -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "tests: pytest collected no tests (exit 5); that is a failure here" >&2
  status=1
fi
[ -z "${CI_TEST_STATUS:-}" ] || echo "$status" >"$CI_TEST_STATUS"
exit "$status"
