""".github/workflows/deploy.yml: each stack's `pulumi up` on its own account's runner (review M2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.loading import load_stack_file

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "deploy.yml"
STACKS = ("dev", "staging", "prod")


def _workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(document, dict)
    return document


def test_it_runs_after_preflight_passes_on_main_or_by_hand_from_main() -> None:
    triggers = _workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["workflow_run"] == {"workflows": ["preflight"], "types": ["completed"], "branches": ["main"]}
    assert "workflow_dispatch" in triggers and "push" not in triggers
    assert _workflow()["permissions"] == {"contents": "read"}
    # workflow_run carries the base repository's rights: only a passed `push` on main deploys (a
    # pull request's head branch can be named main in a fork), and a manual run only from main.
    condition = " ".join(_workflow()["jobs"]["deploy-dev"]["if"].split())
    for part in (
        "github.event_name == 'workflow_dispatch' && github.ref == 'refs/heads/main'",
        "github.event.workflow_run.conclusion == 'success'",
        "github.event.workflow_run.head_branch == 'main'",
        "github.event.workflow_run.event == 'push'",
    ):
        assert part in condition, part


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_deploys_on_its_own_accounts_runner(stack: str) -> None:
    job = _workflow()["jobs"][f"deploy-{stack}"]
    deployer = load_stack_file(PROJECT_ROOT / f"Pulumi.{stack}.yaml").deployer
    assert deployer is not None
    # CodeBuild user guide, "Label overrides": codebuild-<project>-<run_id>-<run_attempt>.
    assert (
        job["runs-on"]
        == f"codebuild-{deployer.runner_project_name}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
    )
    assert job["environment"] == stack
    assert job["concurrency"] == {"group": f"pulumi-{stack}", "cancel-in-progress": False}
    steps = job["steps"]
    # The runner signs as its CodeBuild role: nothing may switch the AWS credentials.
    assert not [s for s in steps if "configure-aws-credentials" in str(s.get("uses", ""))]
    assert not [s for s in steps if "AWS_ROLE_ARN" in str(s) or "AWS_ACCESS_KEY_ID" in str(s)]
    runs = [str(s.get("run", "")) for s in steps]
    up = (
        'pulumi up --stack "$PULUMI_STACK" --yes --non-interactive '
        f"--policy-pack policies --policy-pack-config policies/config/{stack}.json"
    )
    (deploy,) = [s for s in steps if str(s.get("run", "")).strip() == up]
    # The real preview's stack name: <org>/platform/<stack>, `organization` on a self-managed backend.
    assert deploy["env"]["PULUMI_STACK"].endswith(f"/platform/{stack}")
    assert {"PULUMI_BACKEND_URL", "PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE"} <= set(deploy["env"])
    assert (PROJECT_ROOT / "policies" / "config" / f"{stack}.json").exists()
    # The checked-out commit is the one whose checks passed.
    checkout = next(s for s in steps if "actions/checkout" in str(s.get("uses", "")))
    assert checkout["with"]["ref"] == "${{ github.event.workflow_run.head_sha || github.sha }}"
    assert checkout["with"]["persist-credentials"] is False
    # The pinned CLI: the SDK's pin in requirements.txt, through pulumi/actions, as the preview does.
    assert any("sed -n 's/^pulumi==//p' requirements.txt" in run for run in runs)
    (cli,) = [s for s in steps if "pulumi/actions" in str(s.get("uses", ""))]
    assert cli["with"]["pulumi-version"] == "${{ steps.cli.outputs.version }}"
    assert not [run for run in runs if "get.pulumi.com" in run]
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_the_stacks_deploy_in_order_and_use_distinct_runners() -> None:
    jobs = _workflow()["jobs"]
    assert set(jobs) == {f"deploy-{stack}" for stack in STACKS}
    assert "needs" not in jobs["deploy-dev"]
    assert jobs["deploy-staging"]["needs"] == "deploy-dev" and jobs["deploy-prod"]["needs"] == "deploy-staging"
    assert len({job["runs-on"] for job in jobs.values()}) == len(STACKS)
