"""The pull-request workflow as written: pinned actions, least permissions per job, the same
scripts as .ci/run, and the jobs wired so that a failed verdict still reports."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from preflight.synth import PROJECT_ROOT

WORKFLOW_PATH = PROJECT_ROOT / ".github" / "workflows" / "preflight.yml"
WORKFLOW_TEXT = WORKFLOW_PATH.read_text()
WORKFLOW: dict[str, Any] = yaml.safe_load(WORKFLOW_TEXT)
JOBS: dict[str, Any] = WORKFLOW["jobs"]


def steps(job: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = JOBS[job]["steps"]
    return found


def step_using(job: str, action: str) -> dict[str, Any]:
    (found,) = [s for s in steps(job) if s.get("uses", "").startswith(action + "@")]
    return found


def runs(job: str) -> str:
    return "\n".join(s.get("run", "") for s in steps(job))


def test_every_action_is_pinned_to_a_commit_with_its_release_named() -> None:
    uses = re.findall(r"uses: (\S+)@(\S+)(.*)", WORKFLOW_TEXT)
    assert uses
    pins: dict[str, set[str]] = {}
    for action, ref, comment in uses:
        assert re.fullmatch(r"[0-9a-f]{40}", ref), (action, ref)
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), (action, comment)
        pins.setdefault(action, set()).add(ref)
    assert all(len(refs) == 1 for refs in pins.values()), pins  # one release per action


def test_permissions_are_granted_per_job_and_least_first() -> None:
    assert WORKFLOW["permissions"] == {}
    writes = {
        job: {scope for scope, level in spec["permissions"].items() if level == "write"} for job, spec in JOBS.items()
    }
    assert writes == {
        "test": set(),
        "lint": set(),
        "preflight": {"security-events"},
        "comment": {"pull-requests"},
        "pulumi-preview": {"id-token"},
        "comment-preview": {"pull-requests"},
    }


def test_one_run_per_pull_request_at_a_time() -> None:
    assert "github.event.pull_request.number" in WORKFLOW["concurrency"]["group"]
    assert "pull_request" in WORKFLOW["concurrency"]["cancel-in-progress"]


def test_the_workflow_runs_the_scripts_ci_runs() -> None:
    ci_run = (PROJECT_ROOT / ".ci" / "run").read_text()
    for script in (".ci/test.sh", ".ci/preflight.sh", ".ci/lint-workflows.sh"):
        assert script in ci_run and script in WORKFLOW_TEXT, script
    assert ".ci/test.sh" in runs("test") and ".ci/preflight.sh" in runs("preflight")
    assert ".ci/lint-workflows.sh" in runs("lint") and "make lint" in runs("lint")


def test_preflight_runs_beside_the_tests_one_job_per_stack() -> None:
    assert "needs" not in JOBS["preflight"]
    assert JOBS["preflight"]["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert JOBS["preflight"]["strategy"]["fail-fast"] is False


def test_reports_and_sarif_are_kept_even_when_the_verdict_fails() -> None:
    upload = step_using("preflight", "github/codeql-action/upload-sarif")
    assert upload["if"].startswith("!cancelled()") and "head.repo.full_name == github.repository" in upload["if"]
    assert upload["with"]["category"] == "preflight-${{ matrix.stack }}"
    assert step_using("preflight", "actions/upload-artifact")["if"] == "${{ !cancelled() }}"


def test_one_sticky_comment_posted_only_where_the_token_can_write() -> None:
    for job in ("comment", "comment-preview"):
        assert JOBS[job]["if"].startswith("${{ !cancelled() && ")
        post = [s for s in steps(job) if ".ci/sticky-comment.sh" in s.get("run", "")]
        assert len(post) == 1 and post[0]["if"] == "steps.render.outputs.post == 'true'"
    assert JOBS["comment-preview"]["needs"] == ["comment", "pulumi-preview"]


def test_pip_and_plugin_caches() -> None:
    for job in ("test", "lint", "preflight", "pulumi-preview"):
        assert step_using(job, "actions/setup-python")["with"]["cache"] == "pip", job
    assert step_using("pulumi-preview", "actions/cache")["with"]["path"] == "~/.pulumi/plugins"


def test_the_real_preview_runs_per_stack_on_the_deployer_runner_with_a_pinned_cli() -> None:
    job = JOBS["pulumi-preview"]
    assert job["runs-on"] == (
        "codebuild-${{ vars.DEPLOYER_PROJECT || 'platform-deployer' }}-${{ github.run_id }}-${{ github.run_attempt }}"
    )
    assert job["environment"] == "preview-${{ matrix.stack }}"
    assert "sed -n 's/^pulumi==//p' requirements.txt" in runs("pulumi-preview")
    assert step_using("pulumi-preview", "pulumi/actions")["with"] == {
        "pulumi-version": "${{ steps.cli.outputs.version }}"
    }
    assert step_using("pulumi-preview", "aws-actions/configure-aws-credentials")["with"]["role-to-assume"] == (
        "${{ vars.AWS_ROLE_ARN }}"
    )
    (preview,) = [s for s in steps("pulumi-preview") if ".ci/pulumi-preview.sh" in s.get("run", "")]
    assert preview["env"]["PULUMI_STACK"] == "${{ vars.PULUMI_ORG }}/platform/${{ matrix.stack }}"


def test_the_cli_pin_is_the_sdk_pin() -> None:
    (sdk,) = re.findall(r"^pulumi==(\S+)$", (PROJECT_ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert re.fullmatch(r"\d+\.\d+\.\d+", sdk)


@pytest.mark.parametrize("ecosystem", ["github-actions", "pip"])
def test_dependabot_keeps_the_pins_current(ecosystem: str) -> None:
    config = yaml.safe_load((PROJECT_ROOT / ".github" / "dependabot.yml").read_text())
    assert ecosystem in {update["package-ecosystem"] for update in config["updates"]}


def test_the_docs_name_every_pin_the_workflow_uses() -> None:
    docs = (PROJECT_ROOT / "docs" / "pull-requests.md").read_text()
    row = r"^\| `([\w./-]+)` \| (v[\d.]+) \| `([0-9a-f]{40})` \|$"
    documented = {(action, sha, release) for action, release, sha in re.findall(row, docs, re.MULTILINE)}
    used = {
        (action, ref, comment.strip().removeprefix("# "))
        for action, ref, comment in re.findall(r"uses: (\S+)@(\S+)(.*)", WORKFLOW_TEXT)
    }
    assert used == documented
