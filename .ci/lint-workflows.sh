#!/usr/bin/env bash
# The GitHub workflows checked by actionlint (syntax, expressions, action inputs, runner labels)
# and zizmor (security: injection, credentials, permissions, pinning), as .ci/run and the
# workflow's lint job both run them. BIN: where .ci/requirements.txt installed them.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="${BIN:-.venv/bin}"

# The CodeBuild runner's label is a self-hosted label actionlint cannot know: .github/actionlint.yaml.
"$bin/actionlint" -no-color .github/workflows/*.yml
# --offline: no GitHub API look-ups (this machine cannot reach GitHub); every offline audit runs.
"$bin/zizmor" --offline --no-progress .github/workflows/ .github/dependabot.yml
echo "workflows: actionlint and zizmor clean"
