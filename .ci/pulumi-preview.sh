#!/usr/bin/env bash
# A real `pulumi preview` of one stack with the policy pack (the deployer runner):
#   .ci/pulumi-preview.sh STACK FULL_STACK_NAME      e.g. dev acme/platform/dev
# The backend comes from the environment: PULUMI_BACKEND_URL (self-managed; its stacks are named
# organization/<project>/<stack>, literally) or PULUMI_ACCESS_TOKEN (Pulumi Cloud). Writes
# out/preview-STACK/preview.txt and status.
# Exit status: the CLI's own (Pulumi CLI >= 3.226.1, "CLI exit codes": 0 passed, 1 generic error,
# 2 configuration, 3 authentication, 4 resource error, 5 policy violation, 6 stack not found,
# 7 unexpected changes, 8 cancelled), or 64 (EX_USAGE) when this script refuses its own inputs
# before the CLI runs, so that a setup mistake here is never read as the CLI's exit 2.
set -uo pipefail
cd "$(dirname "$0")/.."
usage=64
stack="${1:?usage: .ci/pulumi-preview.sh STACK FULL_STACK_NAME}"
full="${2:?usage: .ci/pulumi-preview.sh STACK FULL_STACK_NAME}"
out="${OUT:-out/preview-$stack}"
mkdir -p "$out"

refuse() {
  echo "pulumi preview: $1 (exit $usage: the workflow's setup, not the CLI)" >&2
  echo "$usage" >"$out/status"
  exit "$usage"
}

case "$full" in
  */*/platform/"$stack") refuse "stack name '$full': the organization holds a '/'" ;;
  ?*/platform/"$stack") ;;
  *) refuse "stack name '$full' is not <org>/platform/$stack (set the PULUMI_ORG variable)" ;;
esac
if [ -z "${PULUMI_BACKEND_URL:-}" ] && [ -z "${PULUMI_ACCESS_TOKEN:-}" ]; then
  refuse "no backend: set the PULUMI_BACKEND_URL variable or the PULUMI_ACCESS_TOKEN secret"
fi
if [ -n "${PULUMI_BACKEND_URL:-}" ] && [ "${full%%/*}" != organization ]; then
  # Pulumi Automation API docs, fullyQualifiedStackName: a (non-legacy) DIY backend takes
  # org/project/stack only with org set to "organization".
  refuse "stack name '$full' on the self-managed backend $PULUMI_BACKEND_URL must be organization/platform/$stack"
fi
[ -n "${PULUMI_BACKEND_URL:-}" ] || unset PULUMI_BACKEND_URL

pulumi preview --stack "$full" --non-interactive --diff --suppress-progress \
  --policy-pack policies --policy-pack-config "policies/config/$stack.json" 2>&1 | tee "$out/preview.txt"
status="${PIPESTATUS[0]}"
echo "$status" >"$out/status"
case "$status" in
  0) echo "pulumi preview $stack: passed" >&2 ;;
  5) echo "pulumi preview $stack: a policy pack blocked it (exit 5): see the violations above" >&2 ;;
  *) echo "pulumi preview $stack: the CLI failed (exit $status), not a policy verdict" >&2 ;;
esac
exit "$status"
