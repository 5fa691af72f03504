#!/usr/bin/env bash
# The test suite, as .ci/run and the GitHub workflow both run it: PYTHON (default .venv/bin/python)
# -m pytest with the arguments given. pytest's exit code is kept, except 5 (no test collected),
# which is a broken suite here, not a pass: it becomes 1. With CI_TEST_STATUS set, that code is also
# written to the file it names: `make` turns any failing recipe into its own exit 2, so .ci/run
# (which runs the README's `make test`) reads pytest's code from there.
set -uo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-.venv/bin/python}"

"$python" -m pytest "$@"
status=$?
if [ "$status" -eq 5 ]; then
  echo "tests: pytest collected no tests (exit 5); that is a failure here" >&2
  status=1
fi
[ -z "${CI_TEST_STATUS:-}" ] || echo "$status" >"$CI_TEST_STATUS"
exit "$status"
