""".github/workflows/deploy.yml: each stack's `pulumi up` on its own account's runner (review M2)."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml

from components.config import load_stack_file
from preflight.synth import PROJECT_ROOT

WORKFLOW = PROJECT_ROOT / ".github" / "workflows" / "deploy.yml"
STACKS = ("dev", "staging", "prod")


def _workflow() -> dict[Any, Any]:
    document = yaml.safe_load(WORKFLOW.read_text())
    assert isinstance(document, dict)
    return document


def test_it_runs_on_pushes_to_main_and_by_hand() -> None:
    triggers = _workflow()[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["push"] == {"branches": ["main"]} and "workflow_dispatch" in triggers
    assert _workflow()["permissions"] == {"contents": "read"}


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
    up = f"pulumi up -s {stack} --yes --policy-pack policies --policy-pack-config policies/config/{stack}.json"
    assert any(run.strip() == up for run in runs), runs
    assert (PROJECT_ROOT / "policies" / "config" / f"{stack}.json").exists()
    # The pinned CLI: the version the runner's project sets (the SDK's pin), nothing else.
    (cli,) = [run for run in runs if "get.pulumi.com" in run]
    assert '--version "${PULUMI_VERSION:?' in cli
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]


def test_the_stacks_deploy_in_order_and_use_distinct_runners() -> None:
    jobs = _workflow()["jobs"]
    assert set(jobs) == {f"deploy-{stack}" for stack in STACKS}
    assert "needs" not in jobs["deploy-dev"]
    assert jobs["deploy-staging"]["needs"] == "deploy-dev" and jobs["deploy-prod"]["needs"] == "deploy-staging"
    assert len({job["runs-on"] for job in jobs.values()}) == len(STACKS)
