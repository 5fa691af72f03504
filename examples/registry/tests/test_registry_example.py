"""The registry example, run under the mocks with its dev stack's config."""

import json
from pathlib import Path

import pytest

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


def test_without_the_protect_setting_the_repositories_are_protected() -> None:
    stack = read_stack_file(EXAMPLE / "Pulumi.dev.yaml")
    values = {key: value for key, value in stack.items() if not key.endswith(":protect")}
    graph = synth("dev", project_dir=EXAMPLE, stack_values=values)
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
