#!/usr/bin/env bash
# Preflight of one stack, as .ci/run and the GitHub workflow both run it:
#   .ci/preflight.sh STACK [more preflight options]
# writes $OUT (default out/preflight-STACK)/: report.md, report.json, report.sarif, export.json,
# stderr.txt and status (preflight's exit code). With BASE_DIR (a checkout of the base branch),
# the base is previewed first (base.json, base-export.json) and the report gets its diff.
# Exit status: preflight's own, kept distinct: 0 passed, 1 a mandatory violation, 2 an input
# error (stack config, state, policy pack, usage); 3 a crash (Python's own exit 1 for an uncaught
# exception leaves no report, so it is not taken for a verdict), or the crash's own code.
set -uo pipefail
cd "$(dirname "$0")/.."
stack="${1:?usage: .ci/preflight.sh STACK [more preflight options]}"
shift
python="${PYTHON:-.venv/bin/python}"
# Absolute (the base is previewed from another folder), but not resolved: a venv's python is a
# symlink, and the target would run without the venv.
case "$python" in /*) ;; */*) python="$PWD/$python" ;; esac
out="$(realpath -m "${OUT:-out/preflight-$stack}")"
mkdir -p "$out"
# A report left by an earlier run must not hide a crash of this one (1 without a report is 3).
rm -f "$out/status" "$out"/report.* "$out/export.json" "$out"/base*.json

base_args=()
if [ -n "${BASE_DIR:-}" ]; then
  # The base branch's own code and stack file: what main would deploy. A base that cannot be
  # previewed (exit 2: no such stack there yet) leaves the report without a diff.
  # A base from before the package (#23) has preflight at the root; the folder run from comes first
  # on the import path, so either way the base's own code runs.
  base_module=eksplatform.preflight
  [ -d "$BASE_DIR/eksplatform/preflight" ] || base_module=preflight
  (cd "$BASE_DIR" && "$python" -m "$base_module" "$stack" --format json --output "$out/base.json" \
    --export "$out/base-export.json") 2>"$out/base-stderr.txt"
  base_status=$?
  if [ "$base_status" -le 1 ] && [ -s "$out/base-export.json" ]; then
    base_args=(--base "$out/base-export.json")
  else
    echo "preflight $stack: the base branch could not be previewed (exit $base_status); no diff" >&2
    cat "$out/base-stderr.txt" >&2
    rm -f "$out/base.json"
  fi
fi

"$python" -m eksplatform.preflight "$stack" --format markdown --output "$out/report.md" \
  --write "json:$out/report.json" --write "sarif:$out/report.sarif" --export "$out/export.json" \
  "${base_args[@]}" "$@" 2>"$out/stderr.txt"
status=$?
cat "$out/stderr.txt" >&2
if [ "$status" -eq 1 ] && [ ! -s "$out/report.json" ]; then
  status=3
fi
echo "$status" >"$out/status"

case "$status" in
  0) echo "preflight $stack: passed" >&2 ;;
  1)
    echo "preflight $stack: mandatory policy violation(s) (exit 1):" >&2
    "$python" - "$out/report.json" >&2 <<'PY'
import json, sys
for v in json.load(open(sys.argv[1]))["violations"]:
    if v["enforcementLevel"] == "mandatory":
        print(f"  [{v['policyName']}] {v['urn'] or '(stack)'}: {v['message']}")
PY
    ;;
  2) echo "preflight $stack: input error (exit 2), not a policy verdict: see the message above" >&2 ;;
  *) echo "preflight $stack: crashed (exit $status), no verdict: see the traceback above" >&2 ;;
esac
exit "$status"
