"""docs/deploying.md names what the code builds: the deployer's keys, the runner's label, the tools."""

from __future__ import annotations

import yaml

from bootstrap.config import NAMESPACE, default_project_name, stack_name
from eksplatform.preflight.synth import PROJECT_ROOT
from eksplatform.stack.config import DeployerConfig

DOC = (PROJECT_ROOT / "docs" / "deploying.md").read_text()


def test_every_key_of_platform_deployer_is_in_the_copy_loop() -> None:
    keys = [str(field.alias) for field in DeployerConfig.model_fields.values()]
    assert len(keys) == 7
    loop = DOC.split("for key in ", 1)[1].split(";", 1)[0].split()
    # Every key but the list (copied by index below the loop) is copied by name.
    assert sorted([*loop, "deployerRouteTableIds"]) == sorted(keys)
    assert "platform:deployer.deployerRouteTableIds[$index]" in DOC
    # The list is removed before it is set by index, so a shorter list leaves no stale tail.
    remove = 'config rm --path -s $env "platform:deployer.deployerRouteTableIds"'
    assert remove in DOC and DOC.index(remove) < DOC.index("deployerRouteTableIds[$index]")


def test_the_runner_label_names_the_bootstrap_project() -> None:
    label = f"runs-on: codebuild-{default_project_name('dev')}-${{{{ github.run_id }}}}-${{{{ github.run_attempt }}}}"
    assert label in DOC
    # One bootstrap stack per account, each named for its environment (no shared `deployer`).
    assert f"pulumi stack init {stack_name('prod')}" in DOC and "-s deployer " not in DOC
    project = yaml.safe_load((PROJECT_ROOT / "bootstrap" / "Pulumi.yaml").read_text())
    assert project["name"] == NAMESPACE
    assert f"{NAMESPACE}:connectionAuthorized: true" in DOC


def test_the_dead_region_procedure_uses_the_tool() -> None:
    assert "python -m eksplatform.preflight.dead_region prod.json eu-west-1" in DOC
    assert "--refresh=false" in DOC and "--exclude-dependents" in DOC


def test_the_dead_region_procedure_sets_the_switch_the_config_knows() -> None:
    from eksplatform.preflight.dead_region import config_commands
    from eksplatform.stack.config import StackConfig

    assert "unreachable_regions" in StackConfig.model_fields
    set_switch, _ = config_commands("prod", "eu-west-1")
    assert set_switch in DOC
    for stand_in in ("skip_region_validation", "sts_region"):
        assert stand_in in DOC


def test_the_doc_states_the_pull_request_preview_contract_and_the_deploy_workflow() -> None:
    assert "`.github/workflows/deploy.yml`" in DOC
    preview = DOC.split("## What the pull-request workflow can check", 1)[1].split("## Deploying from main", 1)[0]
    assert "no `aws-actions/configure-aws-credentials`" in preview.replace("**", "")
    assert "codebuild-<runnerProjectName>-${{ github.run_id }}-${{ github.run_attempt }}" in preview
