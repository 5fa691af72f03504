#!/usr/bin/env bash
# Create or update the one preflight comment on a pull request:
#   .ci/sticky-comment.sh BODY_FILE
# Needs GH_TOKEN (pull-requests: write), REPO (owner/name) and PR_NUMBER. The comment is the one
# by github-actions[bot] whose body holds the marker (eksplatform/preflight/comment.py MARKER).
set -euo pipefail
body="${1:?usage: .ci/sticky-comment.sh BODY_FILE}"
marker="<!-- platform-preflight-sticky-comment -->"
head -n 1 "$body" | grep -qxF "$marker" || { echo "sticky-comment: $body does not start with the marker" >&2; exit 2; }

id="$(gh api --paginate "repos/$REPO/issues/$PR_NUMBER/comments" \
  --jq ".[] | select(.user.login == \"github-actions[bot]\" and (.body | startswith(\"$marker\"))) | .id" | sed -n 1p)"  # sed reads it all: no SIGPIPE under pipefail
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$REPO/issues/comments/$id" -F "body=@$body" --jq .html_url
else
  gh api --method POST "repos/$REPO/issues/$PR_NUMBER/comments" -F "body=@$body" --jq .html_url
fi
