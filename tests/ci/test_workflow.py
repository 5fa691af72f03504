"""The pull-request workflow as written: pinned actions, least permissions per job, the same
scripts as .ci/run, and the jobs wired so that a failed verdict still reports."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from eksplatform.preflight.synth import PROJECT_ROOT

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
        "pulumi-preview": set(),  # no OIDC role: see test_the_real_preview_assumes_no_role
        "comment-preview": {"pull-requests"},
    }


def test_one_run_per_pull_request_at_a_time_and_every_main_commit_runs() -> None:
    group = WORKFLOW["concurrency"]["group"]
    # A pull request's runs share a group; a push's group is its commit, so a queued main run is
    # never cancelled by the next push (a group keeps only the newest pending run).
    assert group == "preflight-${{ github.event.pull_request.number || github.sha }}"
    assert WORKFLOW["concurrency"]["cancel-in-progress"] == "${{ github.event_name == 'pull_request' }}"


def test_the_workflow_runs_the_scripts_ci_runs() -> None:
    ci_run = (PROJECT_ROOT / ".ci" / "run").read_text()
    for script in (".ci/test.sh", ".ci/preflight.sh", ".ci/lint-workflows.sh", ".ci/wheel.sh"):
        assert script in ci_run and script in WORKFLOW_TEXT, script
    # The README's `make test` (the Makefile runs .ci/test.sh with xdist), as .ci/run runs it.
    assert "make test" in runs("test").split("\n") and ".ci/preflight.sh" in runs("preflight")
    assert re.search(r"^    test\)\n.*make test VENV=", ci_run, re.MULTILINE | re.DOTALL)
    assert ".ci/lint-workflows.sh" in runs("lint") and "make lint" in runs("lint")


def test_preflight_runs_beside_the_tests_one_job_per_stack() -> None:
    assert "needs" not in JOBS["preflight"]
    assert JOBS["preflight"]["strategy"]["matrix"]["stack"] == ["dev", "staging", "prod"]
    assert JOBS["preflight"]["strategy"]["fail-fast"] is False


def test_reports_and_sarif_are_kept_even_when_the_verdict_fails() -> None:
    upload = step_using("preflight", "github/codeql-action/upload-sarif")
    assert upload["if"].startswith("!cancelled()") and "head.repo.full_name == github.repository" in upload["if"]
    # Dependabot as comment.decide() sees it: the actor or the pull request's author.
    assert "github.actor != 'dependabot[bot]'" in upload["if"]
    assert "github.event.pull_request.user.login != 'dependabot[bot]'" in upload["if"]
    assert upload["with"]["category"] == "preflight-${{ matrix.stack }}"
    assert step_using("preflight", "actions/upload-artifact")["if"] == "${{ !cancelled() }}"


def test_one_sticky_comment_posted_only_where_the_token_can_write() -> None:
    for job in ("comment", "comment-preview"):
        assert JOBS[job]["if"].startswith("${{ !cancelled() && ")
        post = [s for s in steps(job) if ".ci/sticky-comment.sh" in s.get("run", "")]
        assert len(post) == 1 and post[0]["if"] == "steps.render.outputs.post == 'true'"
    assert JOBS["comment-preview"]["needs"] == ["comment", "pulumi-preview"]


def test_pip_and_plugin_caches() -> None:
    for job in ("test", "lint", "preflight"):
        assert step_using(job, "actions/setup-python")["with"]["cache"] == "pip", job
    assert step_using("pulumi-preview", "actions/cache")["with"]["path"] == "~/.pulumi/plugins"


def test_the_real_preview_runs_per_stack_on_that_environments_runner_with_a_pinned_cli() -> None:
    job = JOBS["pulumi-preview"]
    # bootstrap: one runner project per environment, platform-deployer-<env> (CodeBuild's label
    # is codebuild-<project>-<run id>-<attempt>).
    assert job["runs-on"] == (
        "codebuild-platform-deployer-${{ matrix.stack }}-${{ github.run_id }}-${{ github.run_attempt }}"
    )
    assert "sed -n 's/^pulumi==//p' requirements.txt" in runs("pulumi-preview")
    assert step_using("pulumi-preview", "pulumi/actions")["with"] == {
        "pulumi-version": "${{ steps.cli.outputs.version }}"
    }
    (preview,) = [s for s in steps("pulumi-preview") if ".ci/pulumi-preview.sh" in s.get("run", "")]
    assert preview["env"]["PULUMI_STACK"] == (
        "${{ vars.PULUMI_BACKEND_URL && 'organization' || vars.PULUMI_ORG }}/platform/${{ matrix.stack }}"
    )


def test_the_real_preview_runs_only_for_this_repositorys_branches_behind_an_approval() -> None:
    job = JOBS["pulumi-preview"]
    # The job runs PR code with the runner's (the deployer's) role: only branches of this
    # repository, never Dependabot (actor or author), and in the environment preview-<stack>,
    # whose required reviewers hold the job (and the runner request) until a maintainer approves.
    assert job["environment"] == "preview-${{ matrix.stack }}"
    condition = " ".join(job["if"].split())
    for clause in (
        "vars.PULUMI_PREVIEW == 'true'",
        "github.event_name == 'pull_request'",
        "github.event.pull_request.head.repo.full_name == github.repository",
        "github.actor != 'dependabot[bot]'",
        "github.event.pull_request.user.login != 'dependabot[bot]'",
    ):
        assert clause in condition, clause
    assert " || " not in condition


def test_the_real_preview_uses_the_images_python_not_setup_python() -> None:
    # setup-python's builds are for GitHub's Ubuntu runners; the CodeBuild runner is Amazon Linux
    # 2023 (amazonlinux-x86_64-standard:5.0) with Python 3.11 under pyenv (PYTHON_311_VERSION).
    assert not [s for s in steps("pulumi-preview") if s.get("uses", "").startswith("actions/setup-python@")]
    install = runs("pulumi-preview")
    assert "$(pyenv root)/versions/${PYTHON_311_VERSION:" in install and "bin/python3.11" in install
    assert 'make .venv/.installed PYTHON="$python"' in install


def test_the_real_preview_assumes_no_role() -> None:
    # A role assumed with configure-aws-credentials would not remove the runner's container
    # credentials (the deployer's): it would only suggest a boundary that is not there.
    assert not [s for s in steps("pulumi-preview") if "configure-aws-credentials" in s.get("uses", "")]
    assert "id-token" not in JOBS["pulumi-preview"]["permissions"]


def test_the_cli_pin_is_the_sdk_pin() -> None:
    (sdk,) = re.findall(r"^pulumi==(\S+)$", (PROJECT_ROOT / "requirements.txt").read_text(), re.MULTILINE)
    assert re.fullmatch(r"\d+\.\d+\.\d+", sdk)


@pytest.mark.parametrize("ecosystem", ["github-actions", "pip"])
def test_dependabot_keeps_the_pins_current(ecosystem: str) -> None:
    config = yaml.safe_load((PROJECT_ROOT / ".github" / "dependabot.yml").read_text())
    assert ecosystem in {update["package-ecosystem"] for update in config["updates"]}


def test_the_docs_name_no_commit_so_dependabot_bumps_need_no_docs_change() -> None:
    # Dependabot bumps a pin in the workflow only; a copy of the commits in the docs would go stale
    # (or fail this suite) on every bump. The workflow names each release beside its commit.
    docs = (PROJECT_ROOT / "docs" / "pull-requests.md").read_text()
    assert not re.findall(r"\b[0-9a-f]{40}\b", docs)
    for action in {action for action, _ in re.findall(r"uses: ([\w./-]+)@(\S+)", WORKFLOW_TEXT)}:
        assert f"`{action}`" in docs, action
