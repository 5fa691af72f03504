#!/usr/bin/env bash
# CI's wheel check (#23, "Done when"): what a user installs, tested where no checkout can help.
#   1. build the wheel from this checkout's files (a copy: no build/ left behind);
#   2. check its file list (.ci/check_wheel.py): the one import package `eksplatform`, the
#      components and the pack's manifest and config in it, py.typed, no top-level `components`,
#      `policies`, `cost`, `preflight`, `ops`, `bootstrap`, `tests` or `docgen`;
#   3. install it with the [policy] extra, at the pinned versions (requirements*.txt as
#      constraints), and pytest, into a fresh virtual environment outside the checkout;
#   4. from an empty folder, with no checkout on the path: import every public component
#      (eksplatform.public), run `eksplatform-preflight --project-dir <a copy of
#      examples/consumer> dev` against the installed pack, run that copy's tests, and check that
#      `eksplatform-ops` without the [ops] extra says how to install it (exit 2).
# PYTHON (default .venv/bin/python) builds the wheel and creates the venv. WHEEL_WORK names the
# folder to work in (default: a new temporary one, removed afterwards). Exit 0 when all pass,
# else the failing step's own code (1 for a failed check), after one line naming the step.
set -euo pipefail
cd "$(dirname "$0")/.."
checkout="$PWD"
python="${PYTHON:-.venv/bin/python}"
started="$(date +%s)"

if [ -n "${WHEEL_WORK:-}" ]; then
  work="$(realpath -m "$WHEEL_WORK")"
  case "$work/" in
    "$checkout"/*) echo "wheel: WHEEL_WORK must lie outside the checkout" >&2; exit 2 ;;
  esac
  mkdir -p "$work"
else
  work="$(mktemp -d "${TMPDIR:-/tmp}/eksplatform-wheel.XXXXXX")"
  trap 'rm -rf "$work"' EXIT
fi

step=""
trap 'status=$?; [ "$status" -eq 0 ] || echo "wheel: $step failed (exit $status)" >&2' ERR

step="copying the checkout"
rm -rf "$work/src" "$work/dist" "$work/venv" "$work/run"
mkdir -p "$work/src" "$work/dist" "$work/run"
# The files git tracks or would track (new, not ignored), as they are in the working tree.
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$work/src"

step="building the wheel"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/src"
wheel="$(ls "$work"/dist/eksplatform-*.whl)"
echo "wheel: built $(basename "$wheel")" >&2

step="checking the wheel's files"
"$python" .ci/check_wheel.py "$wheel" "$checkout"

step="installing the wheel into a fresh venv"
"$python" -m venv "$work/venv"
bin="$work/venv/bin"
# The tested versions (requirements.txt, requirements-dev.txt) as constraints, without the
# editable checkout and the nested -r.
grep -hv '^\s*-[er]' requirements.txt requirements-dev.txt >"$work/constraints.txt"
"$bin/python" -m pip install --quiet --upgrade pip
"$bin/python" -m pip install --quiet -c "$work/constraints.txt" "${wheel}[policy]" pytest

step="running from outside the checkout"
cp -R examples/consumer "$work/run/consumer"
rm -rf "$work/run/consumer/.venv"
cd "$work/run"
unset PYTHONPATH
export PYTHONNOUSERSITE=1

step="importing every public component"
"$bin/python" - "$work/venv" <<'PY'
import sys
from pathlib import Path

import eksplatform
from eksplatform.public import PUBLIC_COMPONENTS

venv = Path(sys.argv[1]).resolve()
where = Path(eksplatform.__file__).resolve()
assert where.is_relative_to(venv), f"eksplatform imported from {where}, not the venv"
for component in PUBLIC_COMPONENTS:
    source = Path(sys.modules[component.__module__].__file__ or "").resolve()
    assert source.is_relative_to(venv), f"{component.__name__} imported from {source}, not the venv"
names = ", ".join(component.__name__ for component in PUBLIC_COMPONENTS)
print(f"wheel: imported {len(PUBLIC_COMPONENTS)} public components from {where.parent}: {names}", file=sys.stderr)
PY

step="eksplatform-preflight --project-dir consumer dev"
"$bin/eksplatform-preflight" --project-dir consumer --stack-reference acme/platform/dev=consumer/platform-dev.json \
  dev --output preflight.txt
grep -q "^Policy check passed" preflight.txt

step="the consumer example's tests"
"$bin/python" -m pytest -q -p no:cacheprovider consumer/tests

step="eksplatform-ops without the [ops] extra"
status=0
"$bin/eksplatform-ops" audit outputs.json 2>ops.err || status=$?
[ "$status" -eq 2 ] && grep -q "pip install 'eksplatform\[ops\]'" ops.err

echo "wheel: green in $(($(date +%s) - started)) s" >&2
