#!/usr/bin/env bash
# The test suite, as .ci/run and the GitHub workflow both run it: PYTHON (default .venv/bin/python)
# -m pytest with the arguments given. pytest's exit code is kept, except 5 (no test collected),
# which is a broken suite here, not a pass: it becomes 1.
set -uo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"

"$python" -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "tests: pytest collected no tests (exit 5); that is a failure here" >&2
  exit 1
fi
exit "$status"
