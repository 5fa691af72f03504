"""The registry example, run under the mocks with its dev stack's config."""

import json
import shutil
from pathlib import Path

import pytest
import yaml

from eksplatform.preflight.synth import Graph, synth
from eksplatform.stack.loading import read_stack_file

EXAMPLE = Path(__file__).resolve().parents[1]
PROJECT = "registry-example"


@pytest.fixture(scope="module")
def example() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_one_hardened_repository_per_configured_name(example: Graph) -> None:
    repositories = {r.inputs["name"]: r for r in example.by_type("aws:ecr/repository:Repository")}
    assert sorted(repositories) == ["platform/lang-c", "platform/lang-python"]
    key = example.one("aws:kms/key:Key")
    for repository in repositories.values():
        assert repository.inputs["imageTagMutability"] == "IMMUTABLE"
        assert repository.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
        assert repository.inputs["encryptionConfigurations"] == [
            {"encryptionType": "KMS", "kmsKey": key.outputs["arn"]}
        ]
        assert repository.protect is False  # the dev stack's explicit choice
    policy = json.loads(example.by_type("aws:ecr/lifecyclePolicy:LifecyclePolicy")[0].inputs["policy"])
    assert policy["rules"][1]["selection"]["countNumber"] == 30
    assert sorted(example.outputs["repositoryUrls"].value) == sorted(repositories)


def _without_protect() -> dict[str, object]:
    stack = read_stack_file(EXAMPLE / "Pulumi.dev.yaml")
    return {key: value for key, value in stack.items() if not key.endswith(":protect")}


def test_without_the_protect_setting_the_projects_default_protects_the_repositories() -> None:
    # Pulumi.yaml declares `protect: {default: true}`, which the engine applies to an unset key.
    graph = synth("dev", project_dir=EXAMPLE, stack_values=_without_protect())
    assert all(r.protect for r in graph.by_type("aws:ecr/repository:Repository"))
    assert graph.one("aws:kms/key:Key").protect


def test_without_any_protect_value_the_program_keeps_the_secure_default(tmp_path: Path) -> None:
    # The program's own path for an unset value (None: the component's default, protected), with
    # a copy of the project whose Pulumi.yaml declares no default.
    copy = tmp_path / "registry"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns("tests", "__pycache__"))
    project = yaml.safe_load((copy / "Pulumi.yaml").read_text())
    del project["config"]["protect"]
    (copy / "Pulumi.yaml").write_text(yaml.safe_dump(project))
    graph = synth("dev", project_dir=copy, stack_values=_without_protect())
    assert all(r.protect for r in graph.by_type("aws:ecr/repository:Repository"))
    assert graph.one("aws:kms/key:Key").protect


def test_every_resource_uses_the_regions_provider(example: Graph) -> None:
    provider = example.one("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    assert all(r.provider_urn == provider.urn for r in example if r.custom and not r.is_provider)


def test_a_bad_repository_name_is_named_by_field() -> None:
    values = {**read_stack_file(EXAMPLE / "Pulumi.dev.yaml"), f"{PROJECT}:repositories": ["Platform"]}
    with pytest.raises(Exception, match=r"args\.repositories\[0\]: 'Platform' is not an ECR repository name"):
        synth("dev", project_dir=EXAMPLE, stack_values=values)
