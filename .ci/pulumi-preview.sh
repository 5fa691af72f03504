#!/usr/bin/env bash
# A real `pulumi preview` of one stack with the policy pack (the deployer runner):
#   .ci/pulumi-preview.sh STACK FULL_STACK_NAME      e.g. dev acme/platform/dev
# The backend comes from the environment: PULUMI_BACKEND_URL (self-managed) or
# PULUMI_ACCESS_TOKEN (Pulumi Cloud). Writes out/preview-STACK/preview.txt and status; exits with
# the CLI's code (a mandatory policy violation fails the preview, and its output names it).
set -uo pipefail
cd "$(dirname "$0")/.."
stack="${1:?usage: .ci/pulumi-preview.sh STACK FULL_STACK_NAME}"
full="${2:?usage: .ci/pulumi-preview.sh STACK FULL_STACK_NAME}"
out="${OUT:-out/preview-$stack}"
mkdir -p "$out"

case "$full" in
  */platform/"$stack") ;;
  *)
    echo "pulumi preview: stack name '$full' is not <org>/platform/$stack (set the PULUMI_ORG variable)" >&2
    echo 2 >"$out/status"
    exit 2
    ;;
esac
if [ -z "${PULUMI_BACKEND_URL:-}" ] && [ -z "${PULUMI_ACCESS_TOKEN:-}" ]; then
  echo "pulumi preview: no backend: set the PULUMI_BACKEND_URL variable or the PULUMI_ACCESS_TOKEN secret" >&2
  echo 2 >"$out/status"
  exit 2
fi
[ -n "${PULUMI_BACKEND_URL:-}" ] || unset PULUMI_BACKEND_URL

pulumi preview --stack "$full" --non-interactive --diff --suppress-progress \
  --policy-pack policies --policy-pack-config "policies/config/$stack.json" 2>&1 | tee "$out/preview.txt"
status="${PIPESTATUS[0]}"
echo "$status" >"$out/status"
exit "$status"
