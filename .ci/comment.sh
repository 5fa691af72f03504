#!/usr/bin/env bash
# Render the sticky comment from the downloaded reports/ (GitHub Actions: needs GITHUB_* and
# RUN_URL): comment.md, the uncut report in the job summary, and post=true|false in the step's
# outputs (false on forks and Dependabot, whose token is read-only).
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p reports
python3 -m eksplatform.preflight.comment --reports reports --output comment.md \
  --summary "$GITHUB_STEP_SUMMARY" --run-url "${RUN_URL:-}" \
  --event "$GITHUB_EVENT_PATH" --event-name "$GITHUB_EVENT_NAME" \
  --repository "$GITHUB_REPOSITORY" --actor "$GITHUB_ACTOR" --decision "$GITHUB_OUTPUT"
