"""`python -m eksplatform.preflight.comment`: one sticky pull-request comment for every stack.

The workflow's preflight jobs leave, per stack, a folder `preflight-<stack>/` with `status` (the
exit code of preflight: 0 passed, 1 a mandatory violation, 2 an input error), `report.md`,
`report.json` and, when the base branch could be previewed, `base.json` (the base's JSON report);
the real `pulumi preview` jobs leave `preview-<stack>/` with `status` (the CLI's exit code, or 64
when .ci/pulumi-preview.sh refused its inputs) and `preview.txt`. This
module turns the folders into:

- the comment: a hidden marker (how the workflow finds the comment to update instead of adding
  one per push), the verdict per stack, what the change does against the base branch (resources
  created, updated, replaced and deleted; new and fixed violations; the monthly cost change), and
  the reports in folded sections, cut to fit GitHub's limit of 65,536 characters per comment body;
- the job summary: the same, uncut (the full reports also stay in the artifacts);
- whether to post at all: a fork's pull request and Dependabot's get a read-only token on
  `pull_request` events, so the workflow writes the summary and does not try.

Exit status: 0, or 2 with one message for a missing or unreadable reports folder or event file.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MARKER = "<!-- platform-preflight-sticky-comment -->"
GITHUB_LIMIT = 65_536
"""GitHub refuses an issue comment body over 65,536 characters ("body is too long")."""
BUDGET = 60_000
"""What the comment may use, in UTF-8 bytes (at most as many characters): room under the limit."""
SUMMARY_BUDGET = 1_000_000
"""GitHub refuses a step summary over 1 MiB (1,048,576 bytes) and shows none of it: room under it."""
PREVIEW_LINES = 400
"""The tail of `pulumi preview`'s output kept per stack before any cut for length."""

VERDICTS = {0: "✅ passed", 1: "❌ mandatory violation", 2: "⚠️ input error (exit 2)"}
PREVIEW_VERDICTS = {
    # The Pulumi CLI's exit codes (pulumi.com/docs/iac/cli/exit-codes, CLI >= 3.226.1).
    0: "✅ passed",
    1: "💥 CLI error (exit 1)",
    2: "⚠️ configuration error (exit 2)",
    3: "⚠️ authentication error (exit 3)",
    4: "💥 resource error (exit 4)",
    5: "❌ policy violation (exit 5)",
    6: "⚠️ stack not found (exit 6)",
    7: "⚠️ unexpected changes (exit 7)",
    8: "⚠️ cancelled (exit 8)",
    # .ci/pulumi-preview.sh's own refusal before the CLI ran (EX_USAGE): the workflow's variables.
    64: "⚠️ workflow setup error (exit 64)",
}


class CommentError(Exception):
    """A reports folder or event file that cannot be read."""


@dataclass(frozen=True)
class StackResult:
    stack: str
    status: int | None
    """preflight's exit code; None when the job left none (it did not finish)."""
    report: str = ""
    summary: Mapping[str, Any] | None = None
    """report.json of the head; None when absent or unreadable."""
    base: Mapping[str, Any] | None = None
    """The base branch's report.json, for new and fixed violations."""
    preview_status: int | None = None
    preview: str | None = None
    """The real `pulumi preview` output; None when that job did not run."""


@dataclass(frozen=True)
class Decision:
    post: bool
    reason: str


# --- reading the folders ------------------------------------------------------------------------


def _status(path: Path) -> int | None:
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def _json(path: Path) -> Mapping[str, Any] | None:
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _text(path: Path) -> str | None:
    try:
        return path.read_text()
    except OSError:
        return None


def read_results(folder: Path) -> list[StackResult]:
    """One StackResult per `preflight-<stack>` or `preview-<stack>` folder, by stack name."""
    if not folder.is_dir():
        raise CommentError(f"--reports {folder}: no such folder")
    stacks = sorted(
        {
            match.group(2)
            for child in folder.iterdir()
            if child.is_dir() and (match := re.fullmatch(r"(preflight|preview)-([\w.-]+)", child.name))
        },
        key=_stack_order,
    )
    results = []
    for stack in stacks:
        ours, preview = folder / f"preflight-{stack}", folder / f"preview-{stack}"
        results.append(
            StackResult(
                stack=stack,
                status=_status(ours / "status"),
                report=_text(ours / "report.md") or "",
                summary=_json(ours / "report.json"),
                base=_json(ours / "base.json"),
                preview_status=_status(preview / "status") if preview.is_dir() else None,
                preview=(_text(preview / "preview.txt") or "") if preview.is_dir() else None,
            )
        )
    return results


def _stack_order(stack: str) -> tuple[int, str]:
    order = {"dev": 0, "staging": 1, "prod": 2}
    return order.get(stack, 3), stack


# --- what the comment says ----------------------------------------------------------------------


def _violation_keys(report: Mapping[str, Any] | None) -> set[tuple[str, str, str]]:
    if report is None:
        return set()
    return {
        (str(v.get("policyName")), str(v.get("urn")), str(v.get("message")))
        for v in report.get("violations", [])
        if isinstance(v, dict) and v.get("enforcementLevel") in ("mandatory", "advisory")
    }


def violation_changes(result: StackResult) -> tuple[int, int] | None:
    """(new, fixed) violations against the base branch; None without both reports."""
    if result.summary is None or result.base is None:
        return None
    head, base = _violation_keys(result.summary), _violation_keys(result.base)
    return len(head - base), len(base - head)


def _changes_cell(summary: Mapping[str, Any] | None) -> str:
    diff = summary.get("diff") if summary else None
    if not isinstance(diff, dict):
        return "no base"
    counts = diff.get("summary", {})
    cell = " ".join(f"{sign}{counts.get(action, 0)}" for sign, action in _ACTIONS)
    risky = diff.get("dataAtRisk") or []
    return cell + (f" (**{len(risky)} stateful at risk**)" if risky else "")


_ACTIONS = (("+", "create"), ("~", "update"), ("±", "replace"), ("-", "delete"))


def _violations_cell(result: StackResult) -> str:
    counts = (result.summary or {}).get("summary", {}).get("violations", {})
    cell = f"{counts.get('mandatory', '?')} mandatory, {counts.get('advisory', '?')} advisory"
    changes = violation_changes(result)
    return cell + (f"; {changes[0]} new, {changes[1]} fixed" if changes is not None else "")


def _cost_cell(summary: Mapping[str, Any] | None) -> str:
    if summary is None:
        return "-"
    total = summary.get("cost", {}).get("monthlyTotal")
    cell = f"${total:,.2f}" if isinstance(total, (int, float)) else "-"
    diff = summary.get("diff")
    change = diff.get("cost", {}).get("monthlyChange") if isinstance(diff, dict) else None
    if isinstance(change, (int, float)):
        cell += f" ({'+' if change >= 0 else '-'}${abs(change):,.2f})"
    elif isinstance(diff, dict):
        cell += " (change unknown: unpriced resources)"
    return cell


def _verdict(status: int | None, verdicts: Mapping[int, str]) -> str:
    if status is None:
        return "💥 did not finish"
    return verdicts.get(status, f"💥 crashed (exit {status})")


def _preview_cell(result: StackResult) -> str:
    if result.preview is None:
        return "not run"
    return _verdict(result.preview_status, PREVIEW_VERDICTS)


def headline(results: Sequence[StackResult]) -> str:
    failed = [r.stack for r in results if r.status != 0 or (r.preview is not None and r.preview_status != 0)]
    if not results:
        return "### Preflight: no stack reported"
    if failed:
        return f"### Preflight: ❌ {', '.join(failed)} need attention"
    return f"### Preflight: ✅ all {len(results)} stacks passed"


def table(results: Sequence[StackResult]) -> list[str]:
    lines = [
        "| Stack | Preflight (offline) | Resources vs base (+ ~ ± -) | Policy violations | Monthly cost "
        "| pulumi preview |",
        "| --- | --- | --- | --- | ---: | --- |",
    ]
    for result in results:
        lines.append(
            f"| `{result.stack}` | {_verdict(result.status, VERDICTS)} | {_changes_cell(result.summary)} | "
            f"{_violations_cell(result)} | {_cost_cell(result.summary)} | {_preview_cell(result)} |"
        )
    return lines


def _fence(text: str) -> str:
    """A code fence longer than any backtick run in the text, so the text cannot close it."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _sections(result: StackResult) -> list[tuple[str, str]]:
    """(summary line, body) of the folded sections of one stack."""
    sections = [(f"<code>{result.stack}</code>: preflight report", result.report.strip() or "_no report_")]
    if result.preview is not None:
        lines = result.preview.splitlines()
        kept = lines[-PREVIEW_LINES:]
        text = "\n".join(kept)
        note = f"_first {len(lines) - len(kept)} lines left out_\n\n" if len(lines) > len(kept) else ""
        fence = _fence(text)
        sections.append(
            (f"<code>{result.stack}</code>: pulumi preview with the policy pack", f"{note}{fence}text\n{text}\n{fence}")
        )
    return sections


# --- fitting under the limit --------------------------------------------------------------------


def size(text: str) -> int:
    """Bytes in UTF-8: never fewer than the characters GitHub counts."""
    return len(text.encode())


def truncate_markdown(text: str, limit: int, where: str) -> str:
    """`text` cut at a line so that it, and what closes it, fits in `limit` bytes: open code
    fences and <details> blocks are closed, and a note says where the rest is."""
    if size(text) <= limit:
        return text
    lines = text.splitlines()
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + size(line) + 1 > max(0, limit - 400):  # room for the closing lines and the note
            break
        kept.append(line)
        used += size(line) + 1
    closing: list[str] = []
    fence, opened = _open_blocks(kept)
    if fence:
        closing.append(fence)
    note = f"_… cut here for GitHub's comment limit ({len(lines) - len(kept)} more lines): {where}._"
    closing += ["", note] + ["</details>"] * max(0, opened)
    return "\n".join(kept + closing)


def _open_blocks(lines: Sequence[str]) -> tuple[str, int]:
    """What is still open at the end of `lines`: the fence that would close the open code block
    (or ""), and how many <details> opened outside code blocks are not closed."""
    open_fence, details = "", 0
    for line in lines:
        match = re.match(r"^\s*(`{3,}|~{3,})(.*)$", line)
        if open_fence:
            # CommonMark: a closing fence is at least as long, of the same character, and carries
            # no info string (```text inside a ```` block is content, not its end).
            fence, info = (match.group(1), match.group(2).strip()) if match else ("", "x")
            if not info and fence[0] == open_fence[0] and len(fence) >= len(open_fence):
                open_fence = ""
            continue
        if match:
            open_fence = match.group(1)
            continue
        details += line.count("<details") - line.count("</details>")
    return open_fence, max(0, details)


def _fold(summary: str, body: str) -> str:
    return f"<details><summary>{summary}</summary>\n\n{body}\n\n</details>"


def render(results: Sequence[StackResult], run_url: str = "", budget: int = BUDGET, where: str = "") -> str:
    """The comment body: marker, headline, table, then each stack's sections, cut to fit `budget`;
    `where` says where the rest of a cut section is."""
    if not where:
        where = "the full report is in this run's job summary and its preflight artifacts"
        if run_url:
            where = f"the full report is in the [job summary and artifacts]({run_url})"
    head = [MARKER, headline(results), "", *table(results), ""]
    if run_url:
        head += [f"Run: {run_url}", ""]
    text = "\n".join(head)
    sections = [section for result in results for section in _sections(result)]
    remaining = budget - size(text)
    # Shortest first, each at most a fair share of what is left, so one huge report cannot
    # squeeze out the others.
    order = sorted(range(len(sections)), key=lambda i: size(_fold(*sections[i])))
    bodies: dict[int, str] = {}
    for position, index in enumerate(order):
        summary, body = sections[index]
        share = max(0, remaining // (len(order) - position))
        folded = _fold(summary, body)
        if size(folded) > share:
            overhead = size(_fold(summary, ""))
            folded = _fold(summary, truncate_markdown(body, max(0, share - overhead), where))
        bodies[index] = folded
        remaining -= size(folded) + 2
    return text + "\n" + "\n\n".join(bodies[i] for i in range(len(sections))) + "\n"


def render_summary(results: Sequence[StackResult], run_url: str = "") -> str:
    """The job summary: everything, unless it exceeds what GitHub shows of a step summary (1 MiB);
    then cut like the comment, pointing at the artifacts."""
    where = "the full report is in this run's preflight and preview artifacts"
    return render(results, run_url, budget=SUMMARY_BUDGET, where=where).replace(MARKER + "\n", "", 1)


# --- whether to post --------------------------------------------------------------------------


def decide(event_name: str, event: Mapping[str, Any], repository: str, actor: str) -> Decision:
    """Post only where the token can write: a pull request from a branch of this repository,
    not opened by Dependabot (both get a read-only GITHUB_TOKEN on `pull_request` events)."""
    if event_name != "pull_request":
        return Decision(False, f"a {event_name or 'non-pull-request'} event has no pull request to comment on")
    pull = event.get("pull_request")
    if not isinstance(pull, dict):
        return Decision(False, "the event has no pull_request")
    head_repo = (pull.get("head") or {}).get("repo") or {}
    if head_repo.get("full_name") != repository:
        fork = head_repo.get("full_name") or "(deleted)"
        return Decision(False, f"a pull request from the fork {fork}: read-only token")
    if actor == "dependabot[bot]" or (pull.get("user") or {}).get("login") == "dependabot[bot]":
        return Decision(False, "a Dependabot pull request: read-only token")
    return Decision(True, f"pull request #{pull.get('number')} from {repository}")


def _read_event(path: Path | None) -> Mapping[str, Any]:
    if path is None:
        return {}
    try:
        document = json.loads(path.read_text())
    except (OSError, ValueError) as error:
        raise CommentError(f"--event {path}: cannot read the event JSON ({error})") from None
    if not isinstance(document, dict):
        raise CommentError(f"--event {path}: expected a JSON object")
    return document


def _write(path: Path, text: str, option: str, mode: str) -> None:
    try:
        with path.open(mode) as file:
            file.write(text)
    except OSError as error:
        raise CommentError(f"cannot write {option} {path}: {error.strerror}") from None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m eksplatform.preflight.comment", description=(__doc__ or "").splitlines()[0]
    )
    parser.add_argument("--reports", type=Path, required=True, help="folder of preflight-<stack>/ and preview-<stack>/")
    parser.add_argument("--output", type=Path, required=True, help="write the comment body here")
    parser.add_argument("--summary", type=Path, help="write the uncut report here (e.g. $GITHUB_STEP_SUMMARY)")
    parser.add_argument("--run-url", default="", help="link to this workflow run")
    parser.add_argument("--event", type=Path, help="the event JSON ($GITHUB_EVENT_PATH)")
    parser.add_argument("--event-name", default="", help="$GITHUB_EVENT_NAME")
    parser.add_argument("--repository", default="", help="$GITHUB_REPOSITORY (owner/name)")
    parser.add_argument("--actor", default="", help="$GITHUB_ACTOR")
    parser.add_argument("--decision", type=Path, help="append post=true|false and reason=... here ($GITHUB_OUTPUT)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        results = read_results(args.reports)
        event = _read_event(args.event)
        body = render(results, args.run_url)
        decision = decide(args.event_name, event, args.repository, args.actor)
        _write(args.output, body, "--output", "w")
        if args.summary is not None:
            _write(args.summary, render_summary(results, args.run_url), "--summary", "a")
        if args.decision is not None:
            verdict = "true" if decision.post else "false"
            _write(args.decision, f"post={verdict}\nreason={decision.reason}\n", "--decision", "a")
    except CommentError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"comment: {size(body)} bytes for {len(results)} stack(s); post: {decision.post} ({decision.reason})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
