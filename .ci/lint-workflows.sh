#!/usr/bin/env bash
# The GitHub workflows checked by actionlint (syntax, expressions, action inputs, runner labels)
# and zizmor (security: injection, credentials, permissions, pinning), as .ci/run and the
# workflow's lint job both run them. BIN: where .ci/requirements.txt installed them.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-.venv/bin}"

# The CodeBuild runner's label is a self-hosted label actionlint cannot know: .github/actionlint.yaml.
"$bin/actionlint" -no-color .github/workflows/*.yml
# With GH_TOKEN (the workflow's lint job) zizmor also runs its online audits (impostor commits,
# known-vulnerable actions); without it (.ci/run: this machine cannot reach GitHub) --offline runs
# every offline audit.
online=(--offline)
[ -z "${GH_TOKEN:-}" ] || online=()
"$bin/zizmor" "${online[@]}" --no-progress .github/workflows/ .github/dependabot.yml
echo "workflows: actionlint and zizmor clean"
