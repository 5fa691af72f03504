"""The sticky pull-request comment: marker, verdicts, diff against the base, the length limit,
forks and Dependabot."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from eksplatform.preflight import comment
from eksplatform.preflight.__main__ import main as preflight_main

PROD_URN = "urn:pulumi:prod::platform::aws:rds/cluster:Cluster::db-{i}"


def violations_json(count: int, level: str = "mandatory", start: int = 0) -> list[dict[str, Any]]:
    return [
        {
            "policyPackName": "platform",
            "policyName": f"policy-{i % 7}",
            "enforcementLevel": level,
            "severity": "high",
            "urn": PROD_URN.format(i=i),
            "message": f"resource {i}: set storageEncrypted to true and name a customer managed key " + "x" * 120,
        }
        for i in range(start, start + count)
    ]


def report_json(violations: list[dict[str, Any]], diff: dict[str, Any] | None = None) -> dict[str, Any]:
    mandatory = sum(1 for v in violations if v["enforcementLevel"] == "mandatory")
    return {
        "violations": violations,
        "cost": {"monthlyTotal": 1234.5},
        "diff": diff,
        "summary": {"violations": {"mandatory": mandatory, "advisory": len(violations) - mandatory}},
    }


def report_markdown(stack: str, violations: list[dict[str, Any]]) -> str:
    lines = [f"### preflight: `platform/{stack}` ❌ failed", "", "| Level | Policy | Resource | Message |"]
    lines += ["| --- | --- | --- | --- |"]
    lines += [f"| {v['enforcementLevel']} | `{v['policyName']}` | `{v['urn']}` | {v['message']} |" for v in violations]
    lines += ["", "<details><summary>Resource URNs</summary>", ""]
    lines += [f"- `{v['urn']}`" for v in violations]
    lines += ["", "</details>", "", "```text", "a code block in the report", "```"]
    return "\n".join(lines)


def write_stack(
    reports: Path,
    stack: str,
    status: int | None,
    violations: list[dict[str, Any]],
    *,
    base: list[dict[str, Any]] | None = None,
    diff: dict[str, Any] | None = None,
    preview: tuple[int, str] | None = None,
) -> None:
    folder = reports / f"preflight-{stack}"
    folder.mkdir(parents=True)
    if status is not None:
        (folder / "status").write_text(f"{status}\n")
    (folder / "report.md").write_text(report_markdown(stack, violations))
    (folder / "report.json").write_text(json.dumps(report_json(violations, diff)))
    if base is not None:
        (folder / "base.json").write_text(json.dumps(report_json(base)))
    if preview is not None:
        preview_folder = reports / f"preview-{stack}"
        preview_folder.mkdir()
        (preview_folder / "status").write_text(str(preview[0]))
        (preview_folder / "preview.txt").write_text(preview[1])


DIFF = {
    "summary": {"create": 3, "update": 1, "replace": 2, "delete": 0, "same": 40},
    "dataAtRisk": [{"urn": "u", "type": "aws:rds/cluster:Cluster", "action": "replace"}],
    "cost": {"monthlyChange": -12.5},
}


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    folder = tmp_path / "reports"
    write_stack(folder, "dev", 0, [])
    write_stack(folder, "staging", 2, [])
    write_stack(
        folder,
        "prod",
        1,
        violations_json(330),
        base=violations_json(5, start=328),
        diff=DIFF,
        preview=(5, "Previewing update (platform/prod)\n" + "\n".join(f"line {i} ``` x" for i in range(2000))),
    )
    return folder


def rows(body: str) -> dict[str, str]:
    return {line.split("|")[1].strip(" `"): line for line in body.splitlines() if line.startswith("| `")}


def test_one_comment_for_every_stack_with_the_hidden_marker_first(reports: Path) -> None:
    body = comment.render(comment.read_results(reports), "https://example.test/run/1")
    assert body.startswith(comment.MARKER + "\n")
    assert body.count(comment.MARKER) == 1
    table = rows(body)
    assert list(table) == ["dev", "staging", "prod"]  # dev, staging, prod: the order of promotion
    assert "✅ passed" in table["dev"] and "⚠️ input error (exit 2)" in table["staging"]
    assert "❌ mandatory violation" in table["prod"] and "❌ policy violation (exit 5)" in table["prod"]  # preview
    assert "### Preflight: ❌ staging, prod need attention" in body


def test_a_report_of_330_violations_is_cut_under_githubs_limit_and_stays_well_formed(reports: Path) -> None:
    results = comment.read_results(reports)
    full = comment.render_summary(results)
    assert len(full) > comment.GITHUB_LIMIT  # the uncut report would be refused
    body = comment.render(results, "https://example.test/run/1")
    assert len(body) < comment.GITHUB_LIMIT and comment.size(body) <= comment.BUDGET
    assert "cut here for GitHub's comment limit" in body and "https://example.test/run/1" in body
    assert body.count("<details") == body.count("</details>")
    fences = [line.strip() for line in body.splitlines() if re.match(r"^\s*`{3,}", line)]
    assert len(fences) % 2 == 0, fences[-3:]
    # Every stack keeps its verdict row and its folded sections.
    assert set(rows(body)) == {"dev", "staging", "prod"}
    assert body.count("<summary><code>") == 4  # three reports and prod's preview
    # The summary keeps everything.
    assert all(PROD_URN.format(i=i) in full for i in range(330))


def test_short_reports_are_not_cut(tmp_path: Path) -> None:
    write_stack(tmp_path, "dev", 0, violations_json(3, "advisory"))
    body = comment.render(comment.read_results(tmp_path))
    assert "cut here" not in body and all(PROD_URN.format(i=i) in body for i in range(3))


def test_the_diff_against_the_base_new_and_fixed_violations_and_the_cost_change(reports: Path) -> None:
    prod = rows(comment.render(comment.read_results(reports)))["prod"]
    assert "+3 ~1 ±2 -0" in prod and "**1 stateful at risk**" in prod
    # Base: violations 328..332; head: 0..329 -> 328 new, 3 fixed (330, 331, 332).
    assert "330 mandatory, 0 advisory; 328 new, 3 fixed" in prod
    assert "$1,234.50 (-$12.50)" in prod
    assert "no base" in rows(comment.render(comment.read_results(reports)))["dev"]


def test_a_stack_whose_job_left_no_status_did_not_finish(tmp_path: Path) -> None:
    write_stack(tmp_path, "dev", None, [])
    (tmp_path / "preflight-dev" / "report.json").write_text("{not json")
    body = comment.render(comment.read_results(tmp_path))
    assert "💥 did not finish" in rows(body)["dev"] and "? mandatory" in rows(body)["dev"]


def test_preview_output_is_fenced_beyond_its_own_backticks_and_keeps_its_tail(tmp_path: Path) -> None:
    text = "\n".join([f"resource {i}" for i in range(comment.PREVIEW_LINES + 10)] + ["```", "inside"])
    write_stack(tmp_path, "dev", 0, [], preview=(0, text))
    body = comment.render(comment.read_results(tmp_path))
    assert "````text" in body  # one backtick longer than the output's own fence
    assert f"resource {comment.PREVIEW_LINES + 9}" in body and "resource 11\n" not in body
    assert "_first 12 lines left out_" in body


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (0, "✅ passed"),
        (5, "❌ policy violation (exit 5)"),  # the CLI's code for a policy pack that said no
        (3, "⚠️ authentication error (exit 3)"),
        (6, "⚠️ stack not found (exit 6)"),
        (2, "⚠️ configuration error (exit 2)"),
        (64, "⚠️ workflow setup error (exit 64)"),  # .ci/pulumi-preview.sh refused its inputs
        (139, "💥 crashed (exit 139)"),
    ],
)
def test_the_real_previews_exit_code_is_read_as_the_pulumi_cli_documents_it(
    tmp_path: Path, status: int, verdict: str
) -> None:
    write_stack(tmp_path, "dev", 0, [], preview=(status, "Previewing update (acme/platform/dev)"))
    assert rows(comment.render(comment.read_results(tmp_path)))["dev"].endswith(f"| {verdict} |")


def test_a_cut_inside_a_code_block_closes_it_and_ignores_what_it_quotes() -> None:
    # ```text inside a ``` block is content (a closing fence has no info string), and so is a
    # <details> quoted in it: neither may decide what the cut closes.
    text = "\n".join(["```", "```text", "<details>", *[f"line {i}" for i in range(200)], "```"])
    cut = comment.truncate_markdown(text, 1000, "elsewhere").splitlines()
    assert cut[-3:-1] == ["```", ""] and cut[-1].startswith("_… cut here") and cut.count("```") == 2
    assert "</details>" not in cut


def test_the_job_summary_stays_under_githubs_1_mib(tmp_path: Path) -> None:
    huge = violations_json(4000)
    write_stack(tmp_path, "prod", 1, huge)
    summary = comment.render_summary(comment.read_results(tmp_path))
    assert comment.size(summary) <= comment.SUMMARY_BUDGET < 1024 * 1024
    assert "cut here" in summary and "preflight and preview artifacts" in summary


@pytest.mark.parametrize(
    ("event_name", "head_repo", "actor", "post"),
    [
        ("pull_request", "acme/platform", "alice", True),
        ("pull_request", "mallory/platform", "mallory", False),  # a fork: read-only token
        ("pull_request", "acme/platform", "dependabot[bot]", False),  # Dependabot: read-only token
        ("push", "acme/platform", "alice", False),
    ],
)
def test_a_comment_is_posted_only_where_the_token_can_write(
    event_name: str, head_repo: str, actor: str, post: bool
) -> None:
    event = {"pull_request": {"number": 7, "head": {"repo": {"full_name": head_repo}}, "user": {"login": actor}}}
    decision = comment.decide(event_name, event, "acme/platform", actor)
    assert decision.post is post, decision.reason
    if head_repo != "acme/platform":
        assert "fork mallory/platform" in decision.reason


def test_the_command_writes_comment_summary_and_decision(reports: Path, tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 7, "head": {"repo": {"full_name": "fork/platform"}}}}))
    body, summary, decision = tmp_path / "comment.md", tmp_path / "summary.md", tmp_path / "output"
    status = comment.main(
        [
            *("--reports", str(reports), "--output", str(body), "--summary", str(summary)),
            *("--event", str(event), "--event-name", "pull_request", "--repository", "acme/platform"),
            *("--decision", str(decision)),
        ]
    )
    assert status == 0
    assert body.read_text().startswith(comment.MARKER)
    assert comment.MARKER not in summary.read_text() and "cut here" not in summary.read_text()
    assert decision.read_text().splitlines()[0] == "post=false"


def test_bad_inputs_name_the_option(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert comment.main(["--reports", str(tmp_path / "none"), "--output", str(tmp_path / "c.md")]) == 2
    assert f"--reports {tmp_path / 'none'}: no such folder" in capsys.readouterr().err
    (tmp_path / "event.json").write_text("[")
    argv = ["--reports", str(tmp_path), "--output", str(tmp_path / "c.md"), "--event", str(tmp_path / "event.json")]
    assert comment.main(argv) == 2
    assert "--event" in capsys.readouterr().err
    argv = ["--reports", str(tmp_path), "--output", str(tmp_path / "no" / "c.md")]
    assert comment.main(argv) == 2
    assert "cannot write --output" in capsys.readouterr().err


def test_a_real_report_of_one_run_in_three_formats_feeds_the_comment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "reports" / "preflight-dev"
    folder.mkdir(parents=True)
    argv = ["dev", "--format", "markdown", "--output", str(folder / "report.md")]
    argv += ["--write", f"json:{folder / 'report.json'}", "--write", f"sarif:{folder / 'report.sarif'}"]
    status = preflight_main(argv)
    (folder / "status").write_text(str(status))
    assert status == 0
    assert json.loads((folder / "report.sarif").read_text())["version"] == "2.1.0"
    row = rows(comment.render(comment.read_results(tmp_path / "reports")))["dev"]
    summary = json.loads((folder / "report.json").read_text())["summary"]["violations"]
    assert "✅ passed" in row and f"{summary['mandatory']} mandatory, {summary['advisory']} advisory" in row
    with pytest.raises(SystemExit) as exit_info:
        preflight_main(["dev", "--write", "yaml:x.yaml"])
    assert exit_info.value.code == 2 and "--write 'yaml:x.yaml'" in capsys.readouterr().err
