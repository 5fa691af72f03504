"""The cluster example, run under the mocks with its own Pulumi.dev.yaml."""

import ast
from pathlib import Path

import pytest

from eksplatform.preflight.synth import Graph, synth

EXAMPLE = Path(__file__).resolve().parents[1]
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


@pytest.fixture(scope="module")
def example() -> Graph:
    return synth("dev", project_dir=EXAMPLE)


def test_it_builds_one_private_protected_cluster_in_the_configured_vpc(example: Graph) -> None:
    (component,) = example.by_type("platform:index:Cluster")
    cluster = example.one("aws:eks/cluster:Cluster")
    assert cluster.parent == component.urn
    assert cluster.inputs["name"] == "example-dev"
    assert cluster.inputs["vpcConfig"]["subnetIds"] == [
        "subnet-0aaaaaaaaaaaaaaa1",
        "subnet-0bbbbbbbbbbbbbbb2",
        "subnet-0ccccccccccccccc3",
    ]
    assert cluster.inputs["vpcConfig"]["endpointPublicAccess"] is False  # the default
    assert cluster.inputs["deletionProtection"] is True  # the default
    groups = example.by_type("aws:ec2/securityGroup:SecurityGroup")
    assert {group.inputs["vpcId"] for group in groups} == {"vpc-0123456789abcdef0"}


def test_its_groups_are_one_system_and_one_sandbox(example: Graph) -> None:
    groups = {group.name: group.inputs for group in example.by_type(NODE_GROUP)}
    assert set(groups) == {"example-general", "example-untrusted"}
    assert "taints" not in groups["example-general"]
    assert groups["example-general"]["capacityType"] == "ON_DEMAND"
    assert [taint["key"] for taint in groups["example-untrusted"]["taints"]] == ["platform/sandbox"]
    assert groups["example-untrusted"]["capacityType"] == "SPOT"
    runtime = example.one("kubernetes:node.k8s.io/v1:RuntimeClass")
    assert runtime.inputs["scheduling"]["nodeSelector"] == {"platform/node-group": "untrusted"}


def test_the_admin_role_from_config_gets_cluster_admin(example: Graph) -> None:
    entry = example.one("aws:eks/accessEntry:AccessEntry")
    assert entry.inputs["principalArn"] == "arn:aws:iam::123456789012:role/eks-admin"


def test_every_resource_names_its_provider(example: Graph) -> None:
    # The project disables default providers: a resource without one would fail `pulumi up`.
    provider = example.one("pulumi:providers:kubernetes", "example-kubernetes")
    namespace = example.one("kubernetes:core/v1:Namespace", "apps")
    assert namespace.provider_urn == provider.urn
    for registration in example:
        if registration.custom and registration.type.startswith("aws:"):
            assert registration.provider_urn.endswith("::aws-eu-west-1"), registration.urn
    assert example.outputs["clusterName"].value == "example-dev"


def test_the_program_uses_only_the_component_api() -> None:
    tree = ast.parse((EXAMPLE / "__main__.py").read_text())
    modules = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {module for module in modules if module and module.startswith("eksplatform.stack")}
